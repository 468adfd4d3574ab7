import { and, eq, isNull } from "drizzle-orm";
import { db } from "@/db/client";
import { publishableKeys, tenants } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { credentialKind, newCredential } from "./key-format";

/*
 * The publishable key (`whp_…`): one per tenant, made to ship inside the merchant's app. It can only
 * validate, activate and deactivate license keys (lib/licenses), never read orders or buyers, so it
 * is not a secret: the dashboard always shows it. An Owner rotates it (the old one stops at once).
 * The tenant row holds the current key; publishable_keys, a global lookup, names its tenant.
 */

/** The tenant's publishable key, made on first use. */
export async function publishableKeyFor(tenantId: string): Promise<string> {
  const [tenant] = await db().select({ key: tenants.publishableKey, environment: tenants.environment }).from(tenants).where(eq(tenants.id, tenantId));
  if (tenant?.key) return tenant.key;
  // A Test tenant's key says so (whp_test_…).
  const key = newCredential("publishable", tenant?.environment);
  return db().transaction(async (tx) => {
    const [set] = await tx
      .update(tenants)
      .set({ publishableKey: key })
      .where(and(eq(tenants.id, tenantId), isNull(tenants.publishableKey)))
      .returning({ key: tenants.publishableKey });
    if (set) {
      await tx.insert(publishableKeys).values({ key, tenantId });
      return key;
    }
    // Another request made it first.
    const [current] = await tx.select({ key: tenants.publishableKey }).from(tenants).where(eq(tenants.id, tenantId));
    return current!.key!;
  });
}

/** Rotate publishable key (Owner): a new key at once; apps holding the old one get 401. Audited. */
export async function rotatePublishableKey(actor: Actor): Promise<{ ok: true; key: string }> {
  authorize(actor, "owner");
  const previous = await publishableKeyFor(actor.tenant.id);
  const key = newCredential("publishable", actor.tenant.environment);
  return db().transaction(async (tx) => {
    const [tenant] = await tx.select({ key: tenants.publishableKey }).from(tenants).where(eq(tenants.id, actor.tenant.id)).for("update");
    const old = tenant?.key ?? previous;
    await tx.update(tenants).set({ publishableKey: key }).where(eq(tenants.id, actor.tenant.id));
    await tx.delete(publishableKeys).where(and(eq(publishableKeys.tenantId, actor.tenant.id), eq(publishableKeys.key, old)));
    await tx.insert(publishableKeys).values({ key, tenantId: actor.tenant.id });
    await recordAudit(tx, {
      tenantId: actor.tenant.id,
      actorUserId: actor.userId,
      action: "publishable_key.rotated",
      ip: actor.ip,
      detail: { previousHint: old.slice(-4), keyHint: key.slice(-4) },
    });
    return { ok: true, key } as const;
  });
}

/** `whp_…` → its tenant (one probe of the lookup's primary key), or null for a mistyped, rotated or unknown key. */
export async function tenantOfPublishableKey(key: string): Promise<string | null> {
  if (credentialKind(key) !== "publishable") return null;
  const [row] = await db().select({ tenantId: publishableKeys.tenantId }).from(publishableKeys).where(eq(publishableKeys.key, key)).limit(1);
  return row?.tenantId ?? null;
}
