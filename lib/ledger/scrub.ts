/*
 * What is stored of a delivery. Before a payload is written, license keys and every other
 * secret-looking field become a hint (their last four characters): the events page shows the
 * scrubbed payload, and a database dump holds no credential a buyer or Whop sent us. (A license key
 * itself is kept encrypted on its order, see apply.ts.)
 */

/** Field names whose values are credentials wherever they appear in a payload. */
const SECRET_FIELD = /(^|_)(license_key|secret|password|passwd|token|api_key|apikey|access_key|private_key|client_secret|card_number|cvc|cvv|iban)($|_)/i;
/** Values that are credentials whatever their field is called. */
const SECRET_VALUE = /^(apik_|ws_|whsec_|sk_live_|sk_test_|whc_)[A-Za-z0-9_-]{8,}$/;

export function secretHint(value: string): string {
  return value.length <= 4 ? "[redacted]" : `[redacted …${value.slice(-4)}]`;
}

/** The payload with secrets replaced by hints; the input is not modified. */
export function scrubPayload(payload: unknown): unknown {
  return scrub(payload, false);
}

function scrub(value: unknown, secretField: boolean): unknown {
  if (typeof value === "string") return secretField || SECRET_VALUE.test(value) ? secretHint(value) : value;
  if (Array.isArray(value)) return value.map((entry) => scrub(entry, secretField));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) out[key] = scrub(entry, secretField || SECRET_FIELD.test(key));
    return out;
  }
  if (secretField && (typeof value === "number" || typeof value === "bigint")) return secretHint(String(value));
  return value;
}

/**
 * Whether every string in the parsed payload (keys too) can be stored as Postgres text: no NUL
 * character, and no lone UTF-16 surrogate (which has no UTF-8 form). Such a body is bad input
 * (400), never a database error (5xx) that Whop would retry for days.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unstorableText(payload: unknown): string | null {
  const check = (text: string): string | null => {
    if (text.includes("\u0000")) return "a NUL character";
    if (LONE_SURROGATE.test(text)) return "an unpaired UTF-16 surrogate";
    return null;
  };
  if (typeof payload === "string") return check(payload);
  if (Array.isArray(payload)) {
    for (const entry of payload) {
      const found = unstorableText(entry);
      if (found) return found;
    }
    return null;
  }
  if (payload !== null && typeof payload === "object") {
    for (const [key, entry] of Object.entries(payload)) {
      const found = check(key) ?? unstorableText(entry);
      if (found) return found;
    }
  }
  return null;
}
