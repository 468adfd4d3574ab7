import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import type { User } from "@/db/schema";
import { authTokens, type AuthToken } from "@/db/schema-auth";

/*
 * Single-use tokens mailed to a user (password reset, email verification): 256 random bits in the
 * link, only their SHA-256 stored. Consuming one is a conditional update, so two clicks (or two
 * tabs) on the same link cannot both use it.
 */

export type TokenPurpose = AuthToken["purpose"];

export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  password_reset: 60 * 60 * 1000,
  email_verification: 24 * 60 * 60 * 1000,
};

const RAW_TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const digestToken = (raw: string): string => createHash("sha256").update(raw).digest("hex");

/** A new token for the user, written with the caller's transaction; returns the raw value for the link (never stored). */
export async function issueToken(executor: Executor, purpose: TokenPurpose, user: Pick<User, "id" | "email">): Promise<string> {
  const raw = randomBytes(32).toString("base64url");
  await executor.insert(authTokens).values({
    tokenHash: digestToken(raw),
    purpose,
    userId: user.id,
    email: user.email,
    expiresAt: new Date(Date.now() + TOKEN_TTL_MS[purpose]),
  });
  return raw;
}

export type TokenCheck = { ok: true; token: AuthToken } | { ok: false; reason: "invalid" | "used" | "expired" };

/** What a link's token is, without using it (the reset page shows its form only for a live one). */
export async function checkToken(purpose: TokenPurpose, raw: string, now = new Date(), executor: Executor = db()): Promise<TokenCheck> {
  if (!RAW_TOKEN.test(raw)) return { ok: false, reason: "invalid" };
  const [token] = await executor
    .select()
    .from(authTokens)
    .where(and(eq(authTokens.tokenHash, digestToken(raw)), eq(authTokens.purpose, purpose)))
    .limit(1);
  if (!token) return { ok: false, reason: "invalid" };
  if (token.usedAt) return { ok: false, reason: "used" };
  if (token.expiresAt <= now) return { ok: false, reason: "expired" };
  return { ok: true, token };
}

/** Uses the token once, in the caller's transaction: the row is claimed by whoever updates it first. */
export async function consumeToken(tx: Executor, purpose: TokenPurpose, raw: string): Promise<TokenCheck> {
  if (!RAW_TOKEN.test(raw)) return { ok: false, reason: "invalid" };
  const [claimed] = await tx
    .update(authTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(authTokens.tokenHash, digestToken(raw)), eq(authTokens.purpose, purpose), isNull(authTokens.usedAt), gt(authTokens.expiresAt, sql`now()`)))
    .returning();
  if (claimed) return { ok: true, token: claimed };
  // Read in the same transaction: on PGlite (one session) a read outside it would wait for it forever.
  const check = await checkToken(purpose, raw, new Date(), tx);
  return check.ok ? { ok: false, reason: "used" } : check;
}

/** Older unused tokens of the same purpose stop working when a new one is sent or one is used. */
export async function retireTokens(tx: Executor, purpose: TokenPurpose, userId: string): Promise<void> {
  await tx
    .update(authTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(authTokens.userId, userId), eq(authTokens.purpose, purpose), isNull(authTokens.usedAt)));
}
