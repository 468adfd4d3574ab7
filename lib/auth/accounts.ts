import { and, eq, TransactionRollbackError } from "drizzle-orm";
import { db, type Transaction } from "@/db/client";
import { accounts, accountTenants, tenants, userEmails, users, type Account, type Environment, type Tenant, type User } from "@/db/schema";
import { accountMembers, userTwoFactor } from "@/db/schema-auth";
import { recordAudit, recordUserAudit } from "@/lib/audit/log";
import { newId, newPublicTenantId } from "@/lib/ids";
import { insertTenant } from "@/lib/tenants/queries";
import { sendVerificationMail } from "./email-verification";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { hitRateLimit } from "@/lib/rate-limit";
import { isTwoFactorEnabled } from "./second-factor";
import { defaultAccountId, twoFactorOnColumn } from "./sessions";
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
    .values({ email: user!.email, userId: user!.id })
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
    .innerJoin(users, eq(users.id, userEmails.userId))
    .where(eq(userEmails.email, email))
    .limit(1);
  return row?.user;
}

export type SignUpResult = { ok: true; user: User; account: Account; tenant: Tenant } | { ok: false; reason: "email_taken" | "throttled" };

/**
 * A new account with its Live tenant, in the caller's transaction: every account is created
 * through here (sign-up, fixtures, benches). Its owner is added by the caller; its Test tenant
 * comes when it first switches to Test (lib/tenants/queries.ts `openEnvironment`).
 */
export async function insertAccount(tx: Transaction, tenantValues: Omit<typeof tenants.$inferInsert, "accountId" | "id" | "publicId"> = {}): Promise<{ account: Account; tenant: Tenant }> {
  const [account] = await tx.insert(accounts).values({ id: newId("acc") }).returning();
  const tenant = await insertTenant(tx, { id: newId("ten"), publicId: newPublicTenantId(), ...tenantValues, accountId: account!.id });
  return { account: account!, tenant };
}

/** Sign-ups per client IP per hour, and for the whole service (each costs an argon2 hash and rows). */
export const SIGN_UPS_PER_IP_PER_HOUR = 10;
export const SIGN_UPS_PER_HOUR = 500;

/**
 * Creates the merchant's user, their account (its Owner) and its (not yet connected) tenant together. Email and password are
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
    const { account, tenant } = await insertAccount(tx);
    // A taken email rolls the transaction back: "email_taken" below.
    const user = await insertUser(tx, { id: newId("usr"), email: input.email, passwordHash });
    await tx.insert(accountMembers).values({ accountId: account.id, userId: user.id, role: "owner" });
    await recordAudit(tx, { tenantId: tenant.id, actorUserId: user.id, action: "account.created", ip: input.ip });
    await sendVerificationMail(tx, user);
    return { ok: true, user, account, tenant } as const;
  }).catch((error: unknown) => {
    if (error instanceof TransactionRollbackError) return { ok: false, reason: "email_taken" } as const;
    throw error;
  });
}

const isLoopback = (ip: string): boolean => ip === "::1" || /^(::ffff:)?127\./.test(ip);

/**
 * `secondFactor`: the password was right, but the user has two-factor on: no session until the
 * code (lib/auth/two-factor.ts). `no_account`: the password was right but the user belongs to no
 * account any more (every team removed them).
 */
export type LogInResult = { ok: true; user: User; accountId: string; secondFactor: boolean } | { ok: false; reason: "invalid" | "throttled" | "no_account" };

export async function logIn(input: { email: string; password: string; ip: string | null }): Promise<LogInResult> {
  const keys = throttleKeys(input.email, input.ip);
  // Counted before the password is checked: a burst of parallel guesses gets the limit's worth through, no more.
  if (!(await takeLoginAttempt(db(), keys))) return { ok: false, reason: "throttled" };

  const user = await findUserByEmail(input.email);
  const valid = user ? await verifyPassword(user.passwordHash, input.password) : await burnPasswordCheck(input.password).then(() => false);
  if (!user || !valid) {
    if (user) await recordUserAudit(db(), user.id, { action: "login.failed", ip: input.ip });
    return { ok: false, reason: "invalid" };
  }
  await returnLoginAttempt(db(), keys);
  const accountId = await defaultAccountId(user.id);
  if (!accountId) return { ok: false, reason: "no_account" };
  if (await isTwoFactorEnabled({ userId: user.id })) return { ok: true, user, accountId, secondFactor: true };
  await recordUserAudit(db(), user.id, { action: "login.succeeded", ip: input.ip });
  return { ok: true, user, accountId, secondFactor: false };
}

/** A user with an account they belong to (the first they joined, unless `accountId` names one), its tenant in `environment` and their role. */
export async function findMembership(userId: string, accountId?: string, environment: Environment = "live") {
  const [row] = await db()
    .select({ user: users, account: accounts, tenant: tenants, role: accountMembers.role, twoFactorOn: twoFactorOnColumn })
    .from(accountMembers)
    .innerJoin(users, eq(users.id, accountMembers.userId))
    .innerJoin(accounts, eq(accounts.id, accountMembers.accountId))
    .innerJoin(accountTenants, and(eq(accountTenants.accountId, accountMembers.accountId), eq(accountTenants.environment, environment)))
    .innerJoin(tenants, eq(tenants.id, accountTenants.tenantId))
    .leftJoin(userTwoFactor, eq(userTwoFactor.userId, accountMembers.userId))
    .where(and(eq(accountMembers.userId, userId), accountId === undefined ? undefined : eq(accountMembers.accountId, accountId)))
    .orderBy(accountMembers.createdAt)
    .limit(1);
  return row;
}
