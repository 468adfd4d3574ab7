/**
 * Offline checks on a pasted Whop API key, run before any call to Whop. They catch the usual
 * copy-paste mistakes (a webhook secret, an id, a broken line) with a message that says what
 * was pasted instead. Whether the key actually works is for the live check to decide.
 */

export type KeyFormatResult = { ok: true; key: string } | { ok: false; message: string };

const COMPANY_KEY_PREFIX = "apik_";
const MIN_LENGTH = 20;
const MAX_LENGTH = 512;

const WHERE_TO_FIND =
  "Paste the company API key from your Whop dashboard → Developer → Company API keys (it starts with apik_).";

/** Invisible characters that ride along with copy-paste and are never part of a key. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
/** `String.prototype.trim` covers NBSP, line breaks and the Unicode spaces. */
const INNER_WHITESPACE = /\s/;
const KEY_CHARSET = /^[A-Za-z0-9_\-.]+$/;
const WHOP_ID = /^(biz|user|plan|pay|prod|mem|ch|hook|pass|msg|exp|app)_[A-Za-z0-9]{1,24}$/;

export function checkKeyFormat(raw: string): KeyFormatResult {
  let key = raw.replace(INVISIBLE, "").trim();
  key = key.replace(/^bearer(?:\s+|$)/i, "").trim();
  // A value copied from a .env file or a code sample often keeps its quotes.
  const quoted = key.match(/^(["'`])(.*)\1$/s);
  if (quoted) key = (quoted[2] ?? "").trim();

  if (key === "") return { ok: false, message: "Paste your Whop API key." };
  if (key.startsWith("ws_")) {
    return { ok: false, message: `That is a webhook secret, not an API key. ${WHERE_TO_FIND}` };
  }
  const id = key.match(WHOP_ID);
  if (id) {
    return { ok: false, message: `That looks like a Whop id (${id[1]}_…), not an API key. ${WHERE_TO_FIND}` };
  }
  if (INNER_WHITESPACE.test(key)) {
    return {
      ok: false,
      message: "The key contains spaces or line breaks. Copy it again from your Whop dashboard as one piece.",
    };
  }
  if (!KEY_CHARSET.test(key)) {
    return {
      ok: false,
      message:
        "That doesn't look like a Whop API key: it contains characters a key never has. Copy it again from your Whop dashboard.",
    };
  }
  if (key.length < MIN_LENGTH) {
    return { ok: false, message: `That is too short to be a Whop API key; make sure you copied all of it. ${WHERE_TO_FIND}` };
  }
  if (key.length > MAX_LENGTH) {
    return { ok: false, message: `That is too long to be a Whop API key. ${WHERE_TO_FIND}` };
  }
  return { ok: true, key };
}

/** Company keys start with `apik_`; other keys may still work, Whop treats the rest as opaque. */
export function isCompanyKeyPrefix(key: string): boolean {
  return key.startsWith(COMPANY_KEY_PREFIX);
}
