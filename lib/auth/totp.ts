import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { decodeBase32IgnorePadding, encodeBase32LowerCaseNoPadding, encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, generateHOTP } from "@oslojs/otp";

/*
 * TOTP (RFC 6238) as authenticator apps speak it: HMAC-SHA1, 30-second steps, 6 digits. A code is
 * accepted for the current step and one step either side (clock drift), and only for a step later
 * than the last one accepted (lib/auth/two-factor.ts keeps it), so each code works once.
 * Recovery codes are random (50 bits each), so a SHA-256 digest is all that is stored.
 */

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW = 1;
export const TOTP_ISSUER = "Whop Connector";
export const RECOVERY_CODE_COUNT = 10;

/** 20 random bytes (160 bits, RFC 4226's recommendation). */
export function newTotpKey(): Uint8Array {
  return new Uint8Array(randomBytes(20));
}

/** The secret as people type it into an app: base32, upper case, in groups of four. */
export function formatTotpSecret(key: Uint8Array): string {
  return encodeBase32UpperCaseNoPadding(key).replace(/(.{4})(?=.)/g, "$1 ");
}

export const encodeTotpKey = (key: Uint8Array): string => encodeBase32UpperCaseNoPadding(key);
export const decodeTotpKey = (encoded: string): Uint8Array => decodeBase32IgnorePadding(encoded.replace(/\s+/g, "").toUpperCase());

/** The otpauth:// URI the QR code carries. */
export function totpUri(key: Uint8Array, accountName: string): string {
  return createTOTPKeyURI(TOTP_ISSUER, accountName, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
}

export const totpStepAt = (nowMs: number): number => Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);

/** The code for a step (tests and the e2e compute codes the way an app does). */
export function totpCode(key: Uint8Array, step: number): string {
  return generateHOTP(key, BigInt(step), TOTP_DIGITS);
}

/** A 6-digit code as typed: spaces allowed ("123 456"). */
export function normalizeTotpInput(input: string): string | null {
  const digits = input.replace(/\s+/g, "");
  return /^\d{6}$/.test(digits) ? digits : null;
}

/**
 * The step whose code `code` is, within the window around now (the latest when several match),
 * or null. Every step of the window is compared, in constant time.
 */
export function matchTotpStep(key: Uint8Array, code: string, nowMs = Date.now()): number | null {
  const current = totpStepAt(nowMs);
  const typed = Buffer.from(code);
  let matched: number | null = null;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = Buffer.from(totpCode(key, step));
    if (expected.length === typed.length && timingSafeEqual(expected, typed)) matched = step;
  }
  return matched;
}

/** Ten new recovery codes, `xxxxx-xxxxx` in lower-case base32 (50 random bits each). */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const text = encodeBase32LowerCaseNoPadding(new Uint8Array(randomBytes(7))).slice(0, 10);
    return `${text.slice(0, 5)}-${text.slice(5)}`;
  });
}

/** A recovery code as typed (any case, with or without the dash and spaces), or null when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const text = input.replace(/[\s-]+/g, "").toLowerCase();
  return /^[a-z2-7]{10}$/.test(text) ? text : null;
}

export const digestRecoveryCode = (normalized: string): string => createHash("sha256").update(`recovery:${normalized}`).digest("hex");
