import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { tenants } from "@/db/schema";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { recordAudit } from "@/lib/audit/log";
import { resolveProblems } from "@/lib/problems/report";
import { encryptSecret, encryptionKeyIdOf, keyHint } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { createWhopClient, whopApiOriginFor, type WhopCompany } from "@/lib/whop/client";
import { requireRecentAuthentication, type ReauthMethod } from "@/lib/auth/step-up";
import { hitRateLimit } from "@/lib/rate-limit";
import { checkKeyFormat, isCompanyKeyPrefix } from "@/lib/whop/key-format";
import { describeKeyProblem } from "@/lib/whop/messages";

export type ConnectWhopResult =
  | { ok: true; company: { id: string; title: string } }
  | { ok: false; message: string; reauthenticate?: ReauthMethod };


/**
 * Validates a pasted Whop company key live and, only when Whop accepts it, stores it encrypted on
 * the tenant. Used by the onboarding wizard and by key replacement: a replacement overwrites the
 * old key only after the new one passed, and must belong to the same Whop company.
 */
/** Live key checks per account in a 10-minute window (each asks Whop; a pasted-key guesser is slowed down). */
export const KEY_CHECKS_PER_WINDOW = 10;
const KEY_CHECK_WINDOW_SECONDS = 600;

export async function connectWhopKey(actor: Actor, pastedKey: string): Promise<ConnectWhopResult> {
  // The key decides where the account's money is read and moved: an owner's decision.
  authorize(actor, "owner");
  const { tenant, userId: actorUserId, ip, sessionId } = actor;
  // Replacing a connected key is sensitive (it redirects where the account's payments are read
  // from): the session must have re-authenticated within 10 minutes. Connecting the first one is not.
  if (tenant.whopCompanyId !== null) {
    const recent = await requireRecentAuthentication(sessionId, { userId: actorUserId });
    if (!recent.ok) return { ok: false, message: recent.message, reauthenticate: recent.method };
  }
  const format = checkKeyFormat(pastedKey);
  if (!format.ok) return { ok: false, message: format.message };
  // Counted before Whop is asked, so parallel attempts cannot slip past the limit.
  const allowed = await hitRateLimit(`whop-key:tenant:${tenant.id}`, KEY_CHECKS_PER_WINDOW, KEY_CHECK_WINDOW_SECONDS);
  if (!allowed.allowed) {
    const minutes = Math.ceil(allowed.retryAfterSeconds / 60);
    return { ok: false, message: `Too many keys were checked for this account recently. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.` };
  }
  const apiKey = format.key;
  const { encryptionKeys } = env();
  // The key is checked against the Whop world of the tenant's environment: a sandbox key in Test, a production key in Live.
  const environment = tenant.environment;

  let company: WhopCompany;
  try {
    company = await createWhopClient({ apiKey, origin: whopApiOriginFor(environment), environment }).getCompany();
  } catch (error) {
    return {
      ok: false,
      message: describeKeyProblem(error, { environment, keyLooksLikeCompanyKey: isCompanyKeyPrefix(apiKey) }),
    };
  }

  const replacing = tenant.whopCompanyId !== null;
  if (replacing && tenant.whopCompanyId !== company.id) {
    return {
      ok: false,
      // The other company is not named: a pasted key must not tell anyone whose it is.
      message: `This key belongs to a different Whop company; this account is connected to ${tenant.whopCompanyTitle} (${tenant.whopCompanyId}). Paste a key of ${tenant.whopCompanyTitle}.`,
    };
  }

  const ciphertext = encryptSecret(apiKey, { tenantId: tenant.id, field: "whop_api_key" }, encryptionKeys);
  const now = new Date();
  await db().transaction(async (tx) => {
    await tx
      .update(tenants)
      .set({
        whopCompanyId: company.id,
        whopCompanyTitle: company.title,
        whopApiKeyCiphertext: ciphertext,
        whopApiKeyHint: keyHint(apiKey),
        whopApiKeyEncryptionKeyId: encryptionKeyIdOf(ciphertext),
        connectedAt: tenant.connectedAt ?? now,
        keyVerifiedAt: now,
        keyRejectedAt: null,
        updatedAt: now,
      })
      .where(eq(tenants.id, tenant.id));
    await recordAudit(tx, {
      tenantId: tenant.id,
      actorUserId,
      action: replacing ? "whop.key_replaced" : "whop.key_connected",
      ip,
      detail: { companyId: company.id, keyHint: keyHint(apiKey), previousKeyHint: tenant.whopApiKeyHint },
    });
    await resolveProblems(tenant.id, ["key_rejected", "key_permissions", "not_connected"], tx);
  });
  return { ok: true, company: { id: company.id, title: company.title } };
}
