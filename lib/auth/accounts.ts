import { eq, TransactionRollbackError } from "drizzle-orm";
import { db } from "@/db/client";
import { tenants, users, type Tenant, type User } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { newId, newPublicTenantId } from "@/lib/ids";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { clearLoginFailures, isLoginThrottled, recordLoginFailure, throttleKeys } from "./throttle";

export type SignUpResult = { ok: true; user: User; tenant: Tenant } | { ok: false; reason: "email_taken" };

/** Creates the merchant's user and their (not yet connected) tenant together. Email and password are already validated. */
export async function signUp(input: { email: string; password: string; ip: string | null }): Promise<SignUpResult> {
  const passwordHash = await hashPassword(input.password);
  return db().transaction(async (tx) => {
    const [tenant] = await tx.insert(tenants).values({ id: newId("ten"), publicId: newPublicTenantId() }).returning();
    const [user] = await tx
      .insert(users)
      .values({ id: newId("usr"), tenantId: tenant!.id, email: input.email, passwordHash })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (!user) {
      tx.rollback();
      return { ok: false, reason: "email_taken" } as const;
    }
    await recordAudit(tx, { tenantId: tenant!.id, actorUserId: user.id, action: "account.created", ip: input.ip });
    return { ok: true, user, tenant: tenant! } as const;
  }).catch((error: unknown) => {
    if (error instanceof TransactionRollbackError) return { ok: false, reason: "email_taken" } as const;
    throw error;
  });
}

export type LogInResult = { ok: true; user: User } | { ok: false; reason: "invalid" | "throttled" };

export async function logIn(input: { email: string; password: string; ip: string | null }): Promise<LogInResult> {
  const keys = throttleKeys(input.email, input.ip);
  if (await isLoginThrottled(db(), keys)) return { ok: false, reason: "throttled" };

  const [user] = await db().select().from(users).where(eq(users.email, input.email)).limit(1);
  const valid = user ? await verifyPassword(user.passwordHash, input.password) : await burnPasswordCheck(input.password).then(() => false);
  if (!user || !valid) {
    await recordLoginFailure(db(), keys);
    if (user) await recordAudit(db(), { tenantId: user.tenantId, actorUserId: user.id, action: "login.failed", ip: input.ip });
    return { ok: false, reason: "invalid" };
  }
  await clearLoginFailures(db(), keys);
  await recordAudit(db(), { tenantId: user.tenantId, actorUserId: user.id, action: "login.succeeded", ip: input.ip });
  return { ok: true, user };
}

export async function findUserWithTenant(userId: string): Promise<{ user: User; tenant: Tenant } | undefined> {
  const [row] = await db()
    .select({ user: users, tenant: tenants })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(eq(users.id, userId))
    .limit(1);
  return row;
}
