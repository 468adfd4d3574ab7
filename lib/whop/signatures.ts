import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Verifies a Whop webhook delivery under whichever of the three signature schemes its headers
 * carry (docs/whop.md, "Webhooks: signature schemes"). Pure: no I/O, never throws, and nothing
 * derived from a secret ever leaves this module.
 */

export type SignatureScheme = "standard" | "legacy" | "bare";

export interface VerifyInput {
  /** The body exactly as received: bytes (what Whop signed), or text that is re-encoded as UTF-8. */
  rawBody: Uint8Array | string;
  headers: Headers;
  /** One or two (during a rotation) webhook secrets, current first. */
  secrets: string[];
  now?: Date;
  toleranceSeconds?: number;
}

export type VerifyFailureReason = "missing_signature" | "malformed_signature" | "timestamp_out_of_range" | "signature_mismatch";

export type VerifyResult =
  | { ok: true; scheme: SignatureScheme; webhookId: string | null; timestamp: Date | null; secretIndex: number }
  | { ok: false; scheme: SignatureScheme | null; reason: VerifyFailureReason };

export const DEFAULT_TOLERANCE_SECONDS = 300;

const DIGEST_BYTES = 32; // HMAC-SHA256
const STANDARD_SECRET_PREFIX = "whsec_";
const HEX_DIGEST = /^[0-9a-f]{64}$/i;
const BASE64_DIGEST = /^[A-Za-z0-9+/]{43}=?$/;
const UNIX_SECONDS = /^\d{1,12}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A parsed signature header: what to sign, the candidate digests, and the signed timestamp. */
interface Candidate {
  scheme: SignatureScheme;
  message: Buffer;
  digests: Buffer[];
  timestampSeconds: number | null;
  webhookId: string | null;
}

type Parsed = Candidate | { scheme: SignatureScheme | null; reason: VerifyFailureReason };

export function verifyWhopSignature(input: VerifyInput): VerifyResult {
  try {
    return verify(input);
  } catch {
    // Garbage input (a non-Headers object, a non-string body…) is a bad signature, not a crash.
    return { ok: false, scheme: null, reason: "malformed_signature" };
  }
}

function verify(input: VerifyInput): VerifyResult {
  const parsed = parseSignatureHeaders(input.headers, input.rawBody);
  if (!("digests" in parsed)) return { ok: false, scheme: parsed.scheme, reason: parsed.reason };

  const secretIndex = matchingSecretIndex(parsed, input.secrets);
  if (secretIndex === null) return { ok: false, scheme: parsed.scheme, reason: "signature_mismatch" };

  // Checked after the signature so that "out of range" only ever describes an authentic
  // delivery (a replay or a skewed clock), which is what the merchant needs to hear.
  if (parsed.timestampSeconds !== null) {
    const tolerance = validTolerance(input.toleranceSeconds);
    const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
    if (!Number.isFinite(nowSeconds) || Math.abs(nowSeconds - parsed.timestampSeconds) > tolerance) {
      return { ok: false, scheme: parsed.scheme, reason: "timestamp_out_of_range" };
    }
  }

  return {
    ok: true,
    scheme: parsed.scheme,
    webhookId: parsed.webhookId,
    timestamp: parsed.timestampSeconds === null ? null : new Date(parsed.timestampSeconds * 1000),
    secretIndex,
  };
}

function validTolerance(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : DEFAULT_TOLERANCE_SECONDS;
}

/** Header value with blank treated as absent. */
function header(headers: Headers, name: string): string | null {
  const value = headers.get(name);
  return value === null || value.trim() === "" ? null : value.trim();
}

/** Scheme precedence: `webhook-signature` (or `svix-signature`) > `x-whop-signature: t=…` > bare hex. */
function parseSignatureHeaders(headers: Headers, body: Uint8Array | string): Parsed {
  if (typeof body !== "string" && !(body instanceof Uint8Array)) return { scheme: null, reason: "malformed_signature" };
  const rawBody = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const webhookId = header(headers, "webhook-id");

  for (const prefix of ["webhook", "svix"]) {
    const signature = header(headers, `${prefix}-signature`);
    if (signature !== null) return parseStandard(signature, header(headers, `${prefix}-id`), header(headers, `${prefix}-timestamp`), rawBody);
  }

  const whop = header(headers, "x-whop-signature");
  if (whop === null) return { scheme: null, reason: "missing_signature" };
  if (whop.includes("=")) return parseLegacy(whop, rawBody, webhookId);
  return parseBare(whop, rawBody, webhookId);
}

/** `webhook-signature: v1,<base64> v1,<base64> …` over `${id}.${timestamp}.${body}`. */
function parseStandard(signature: string, id: string | null, timestamp: string | null, rawBody: Buffer): Parsed {
  const scheme = "standard";
  if (id === null || timestamp === null || !UNIX_SECONDS.test(timestamp)) return { scheme, reason: "malformed_signature" };
  const digests: Buffer[] = [];
  for (const entry of signature.split(/\s+/)) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue; // other versions (v1a, …) are not ours to check
    const encoded = entry.slice(comma + 1);
    if (BASE64_DIGEST.test(encoded)) digests.push(Buffer.from(encoded, "base64"));
  }
  if (digests.length === 0) return { scheme, reason: "malformed_signature" };
  return { scheme, message: Buffer.concat([Buffer.from(`${id}.${timestamp}.`, "utf8"), rawBody]), digests, timestampSeconds: Number(timestamp), webhookId: id };
}

/** `x-whop-signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over `${t}.${body}`. */
function parseLegacy(signature: string, rawBody: Buffer, webhookId: string | null): Parsed {
  const scheme = "legacy";
  let timestamp: string | null = null;
  const digests: Buffer[] = [];
  for (const part of signature.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") {
      if (timestamp !== null || !UNIX_SECONDS.test(value)) return { scheme, reason: "malformed_signature" };
      timestamp = value;
    } else if (key === "v1" && HEX_DIGEST.test(value)) {
      digests.push(Buffer.from(value, "hex"));
    }
  }
  if (timestamp === null || digests.length === 0) return { scheme, reason: "malformed_signature" };
  return { scheme, message: Buffer.concat([Buffer.from(`${timestamp}.`, "utf8"), rawBody]), digests, timestampSeconds: Number(timestamp), webhookId };
}

/** `x-whop-signature: <hex>` over the body alone; no timestamp, so replays rely on event dedupe. */
function parseBare(signature: string, rawBody: Buffer, webhookId: string | null): Parsed {
  const scheme = "bare";
  if (!HEX_DIGEST.test(signature)) return { scheme, reason: "malformed_signature" };
  return { scheme, message: rawBody, digests: [Buffer.from(signature, "hex")], timestampSeconds: null, webhookId };
}

function matchingSecretIndex(candidate: Candidate, secrets: readonly string[]): number | null {
  if (!Array.isArray(secrets)) return null;
  for (const [index, secret] of secrets.entries()) {
    const key = hmacKey(secret);
    if (key === null) continue;
    const expected = createHmac("sha256", key).update(candidate.message).digest();
    // Every candidate is compared in full; the loop may stop at a match, which reveals nothing
    // about the expected digest.
    if (candidate.digests.some((digest) => digest.length === DIGEST_BYTES && timingSafeEqual(digest, expected))) return index;
  }
  return null;
}

/**
 * Whop's `ws_…` secrets are used as their UTF-8 bytes. A `whsec_…` secret follows the
 * Standard Webhooks convention: the key is the base64 text after the prefix.
 */
function hmacKey(secret: unknown): Buffer | null {
  if (typeof secret !== "string" || secret.length === 0) return null;
  if (!secret.startsWith(STANDARD_SECRET_PREFIX)) return Buffer.from(secret, "utf8");
  const encoded = secret.slice(STANDARD_SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return null;
  const key = Buffer.from(encoded, "base64");
  return key.length === 0 ? null : key;
}
