import { and, eq, TransactionRollbackError } from "drizzle-orm";
import { db, type Transaction } from "@/db/client";
import { tenants, userEmails, users, type Tenant, type User } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { newId, newPublicTenantId } from "@/lib/ids";
import { insertTenant } from "@/lib/tenants/queries";
import { sendVerificationMail } from "./email-verification";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { hitRateLimit } from "@/lib/rate-limit";
import { isTwoFactorEnabled } from "./second-factor";
import { returnLoginAttempt, takeLoginAttempt, throttleKeys } from "./throttle";

/**
 * Inserts a user and claims its email in user_emails, the global lookup whose primary key keeps
 * an email to one account across tenants; every user is created through here. When the email is
 * taken it rolls the caller's transaction back (TransactionRollbackError). A concurrent claim of
 * the same email waits for the first to commit or roll back, so two sign-ups never both succeed.
 */
export async function insertUser(tx: Transaction, values: typeof users.$inferInsert): Promise<User> {
  const [user] = await tx.insert(users).values(values).returning();
  const [claimed] = await tx
    .insert(userEmails)
    .values({ email: user!.email, tenantId: user!.tenantId, userId: user!.id })
    .onConflictDoNothing({ target: userEmails.email })
    .returning({ email: userEmails.email });
  if (!claimed) tx.rollback();
  return user!;
}

/** The user an email logs in as, through the email lookup: one statement. */
export async function findUserByEmail(email: string): Promise<User | undefined> {
  const [row] = await db()
    .select({ user: users })
    .from(userEmails)
    .innerJoin(users, and(eq(users.tenantId, userEmails.tenantId), eq(users.id, userEmails.userId)))
    .where(eq(userEmails.email, email))
    .limit(1);
  return row?.user;
}

export type SignUpResult = { ok: true; user: User; tenant: Tenant } | { ok: false; reason: "email_taken" | "throttled" };

/** Sign-ups per client IP per hour, and for the whole service (each costs an argon2 hash and rows). */
export const SIGN_UPS_PER_IP_PER_HOUR = 10;
export const SIGN_UPS_PER_HOUR = 500;

/**
 * Creates the merchant's user and their (not yet connected) tenant together. Email and password are
 * already validated. A web sign-up (`ip` given; the action passes "unknown" when the request names
 * none) is counted per IP, then globally, before any hash is computed; server-side callers
 * (fixtures, scripts) pass null and are not throttled.
 */
export async function signUp(input: { email: string; password: string; ip: string | null }): Promise<SignUpResult> {
  if (input.ip !== null) {
    // Loopback is this machine (the demo, the e2e suite): only the overall ceiling applies to it.
    const perIp = isLoopback(input.ip) ? { allowed: true } : await hitRateLimit(`signup:ip:${input.ip}`, SIGN_UPS_PER_IP_PER_HOUR, 3600);
    if (!perIp.allowed) return { ok: false, reason: "throttled" };
    const overall = await hitRateLimit("signup:all", SIGN_UPS_PER_HOUR, 3600);
    if (!overall.allowed) return { ok: false, reason: "throttled" };
  }
  const passwordHash = await hashPassword(input.password);
  return db().transaction(async (tx) => {
    const tenant = await insertTenant(tx, { id: newId("ten"), publicId: newPublicTenantId() });
    // A taken email rolls the transaction back: "email_taken" below.
    const user = await insertUser(tx, { id: newId("usr"), tenantId: tenant.id, email: input.email, passwordHash });
    await recordAudit(tx, { tenantId: tenant.id, actorUserId: user.id, action: "account.created", ip: input.ip });
    await sendVerificationMail(tx, user);
    return { ok: true, user, tenant } as const;
  }).catch((error: unknown) => {
    if (error instanceof TransactionRollbackError) return { ok: false, reason: "email_taken" } as const;
    throw error;
  });
}

const isLoopback = (ip: string): boolean => ip === "::1" || /^(::ffff:)?127\./.test(ip);

/** `secondFactor`: the password was right, but the user has two-factor on: no session until the code (lib/auth/two-factor.ts). */
export type LogInResult = { ok: true; user: User; secondFactor: boolean } | { ok: false; reason: "invalid" | "throttled" };

export async function logIn(input: { email: string; password: string; ip: string | null }): Promise<LogInResult> {
  const keys = throttleKeys(input.email, input.ip);
  // Counted before the password is checked: a burst of parallel guesses gets the limit's worth through, no more.
  if (!(await takeLoginAttempt(db(), keys))) return { ok: false, reason: "throttled" };

  const user = await findUserByEmail(input.email);
  const valid = user ? await verifyPassword(user.passwordHash, input.password) : await burnPasswordCheck(input.password).then(() => false);
  if (!user || !valid) {
    if (user) await recordAudit(db(), { tenantId: user.tenantId, actorUserId: user.id, action: "login.failed", ip: input.ip });
    return { ok: false, reason: "invalid" };
  }
  await returnLoginAttempt(db(), keys);
  if (await isTwoFactorEnabled({ tenantId: user.tenantId, userId: user.id })) return { ok: true, user, secondFactor: true };
  await recordAudit(db(), { tenantId: user.tenantId, actorUserId: user.id, action: "login.succeeded", ip: input.ip });
  return { ok: true, user, secondFactor: false };
}

/**
 * The session's user and tenant. With the tenant (every session issued now carries it) this is a
 * probe of users' primary key (tenant_id, id); a cookie from before names the user alone, which
 * reads users whole (one row per merchant) until it expires.
 */
export async function findUserWithTenant(userId: string, tenantId?: string): Promise<{ user: User; tenant: Tenant } | undefined> {
  const [row] = await db()
    .select({ user: users, tenant: tenants })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(users.id, userId), tenantId === undefined ? undefined : eq(users.tenantId, tenantId)))
    .limit(1);
  return row;
}
