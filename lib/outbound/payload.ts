import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";

/*
 * An event's `data` is the order as the API shows it, license key included; the stored copy holds
 * the key sealed (`sealed:` + the order's own ciphertext, bound to tenant and order) so that no
 * buyer's key lies in clear in outbound_events. The key is put back in clear when the event is
 * sent or read from the feed; the body is the same on every attempt.
 */

const SEALED = "sealed:";
const MARKER = `"license_key":"${SEALED}`;

type EventBody = { data?: { id?: string; license_key?: string | null } };

/** The stored form of an event body whose order holds `licenseKeyCiphertext`. */
export function sealedPayload(body: { data: { id: string; license_key: string | null } } & Record<string, unknown>, licenseKeyCiphertext: string | null): string {
  if (body.data.license_key === null || licenseKeyCiphertext === null) return JSON.stringify(body);
  return JSON.stringify({ ...body, data: { ...body.data, license_key: `${SEALED}${licenseKeyCiphertext}` } });
}

/** The body as sent: the sealed license key (if any) opened. */
export function openPayload(tenantId: string, stored: string): string {
  if (!stored.includes(MARKER)) return stored;
  const body = JSON.parse(stored) as EventBody;
  const sealed = body.data?.license_key;
  if (!body.data?.id || typeof sealed !== "string" || !sealed.startsWith(SEALED)) return stored;
  body.data.license_key = decryptSecret(sealed.slice(SEALED.length), { tenantId, field: "license_key", rowId: body.data.id }, env().encryptionKeys);
  return JSON.stringify(body);
}

/** For secrets:rotate: the sealed ciphertext in a stored body and how to swap it, or null when it holds none. */
export function sealedKeyOf(stored: string): { orderId: string; ciphertext: string; replace: (next: string) => string } | null {
  if (!stored.includes(MARKER)) return null;
  const body = JSON.parse(stored) as EventBody;
  const sealed = body.data?.license_key;
  if (!body.data?.id || typeof sealed !== "string" || !sealed.startsWith(SEALED)) return null;
  return { orderId: body.data.id, ciphertext: sealed.slice(SEALED.length), replace: (next) => stored.replace(`${MARKER}${sealed.slice(SEALED.length)}"`, `${MARKER}${next}"`) };
}
