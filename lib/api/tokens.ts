import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { db, type Transaction } from "@/db/client";
import { apiTokenHashes, apiTokens, type ApiToken } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { requireRecentAuthentication, type ReauthMethod } from "@/lib/auth/step-up";
import { randomBase62 } from "@/lib/ids";
import { credentialKind, hashCredential, newCredential } from "./key-format";
import { DEFAULT_SCOPES, type ApiScope } from "./scopes";

/**
 * Per-tenant secret tokens for the merchant API (`/api/v1/…`), in the format of ./key-format.ts,
 * each with the scopes chosen when it was made (./scopes.ts). Only its SHA-256 is stored; the
 * merchant sees it once.
 */

/** A tenant keeps at most this many live tokens: one per app or environment is the intent. */
export const MAX_ACTIVE_TOKENS = 20;
/** last_used_at is refreshed at most this often, so that a busy token is not a write per request. */
const LAST_USED_PRECISION_MS = 60_000;

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1, "Name the token after the app that will use it.")
  .max(60, "Keep the name under 60 characters.");

/**
 * Inserts a token row and its api_token_hashes row (the hash's uniqueness across tenants, and how
 * a request's token finds its tenant), in the caller's transaction. Revoking keeps the lookup row:
 * the token row says it is revoked, and the lookup goes with the row.
 */
export async function insertApiToken(tx: Transaction, values: typeof apiTokens.$inferInsert): Promise<ApiToken> {
  const [row] = await tx.insert(apiTokens).values(values).returning();
  await tx.insert(apiTokenHashes).values({ tokenHash: row!.tokenHash, tenantId: row!.tenantId, tokenId: row!.id });
  return row!;
}

export type CreateTokenResult = { ok: true; token: string; row: ApiToken } | { ok: false; message: string; reauthenticate?: ReauthMethod };

export async function createApiToken(actor: Actor, name: string, scopes: readonly ApiScope[] = DEFAULT_SCOPES): Promise<CreateTokenResult> {
  authorize(actor, "admin");
  const recent = await requireRecentAuthentication(actor.sessionId, actor);
  if (!recent.ok) return { ok: false, message: recent.message, reauthenticate: recent.method };
  const token = newCredential("secret", actor.tenant.environment);
  return db().transaction(async (tx) => {
    // Serialises token creation per tenant so that two concurrent creations cannot pass the cap.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`api_tokens:${actor.tenant.id}`}))`);
    const [{ active } = { active: 0 }] = await tx
      .select({ active: sql<number>`count(*)::int` })
      .from(apiTokens)
      .where(and(eq(apiTokens.tenantId, actor.tenant.id), isNull(apiTokens.revokedAt)));
    if (active >= MAX_ACTIVE_TOKENS) {
      return { ok: false, message: `You already have ${MAX_ACTIVE_TOKENS} active tokens. Revoke one you no longer use first.` } as const;
    }
    const row = await insertApiToken(tx, {
      id: `tok_${randomBase62(16)}`,
      tenantId: actor.tenant.id,
      name,
      tokenHash: hashCredential(token),
      tokenHint: token.slice(-4),
      scopes: [...scopes],
      createdByUserId: actor.userId,
    });
    await recordAudit(tx, {
      tenantId: actor.tenant.id,
      actorUserId: actor.userId,
      action: "api_token.created",
      ip: actor.ip,
      detail: { tokenName: name, tokenHint: row.tokenHint, scopes: row.scopes },
    });
    return { ok: true, token, row } as const;
  });
}

export async function revokeApiToken(actor: Actor, tokenId: string): Promise<{ ok: true; row: ApiToken } | { ok: false; message: string; reauthenticate?: ReauthMethod }> {
  authorize(actor, "admin");
  const recent = await requireRecentAuthentication(actor.sessionId, actor);
  if (!recent.ok) return { ok: false, message: recent.message, reauthenticate: recent.method };
  return db().transaction(async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.tenantId, actor.tenant.id), eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
      .returning();
    if (!row) return { ok: false, message: "That token does not exist or is already revoked." } as const;
    await recordAudit(tx, {
      tenantId: actor.tenant.id,
      actorUserId: actor.userId,
      action: "api_token.revoked",
      ip: actor.ip,
      detail: { tokenName: row.name, tokenHint: row.tokenHint },
    });
    return { ok: true, row } as const;
  });
}

/** Newest first: live tokens, then revoked ones (kept so the merchant can see what was revoked when). */
export async function listApiTokens(tenantId: string): Promise<ApiToken[]> {
  return db()
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tenantId, tenantId))
    .orderBy(sql`${apiTokens.revokedAt} is not null`, desc(apiTokens.createdAt))
    .limit(100);
}

export interface AuthenticatedToken {
  tenantId: string;
  tokenId: string;
  scopes: readonly ApiScope[];
}

export type TokenCheck = { ok: true; token: AuthenticatedToken } | { ok: false; reason: "missing" | "invalid" };

/** What `liveTokenByHash` reads of a token (and what a route reading more with it must read too). */
export const liveTokenColumns = { tenantId: apiTokens.tenantId, id: apiTokens.id, scopes: apiTokens.scopes, lastUsedAt: apiTokens.lastUsedAt };
export type LiveTokenRow = { tenantId: string; id: string; scopes: string[]; lastUsedAt: Date | null };

/** One statement: a probe of the hash lookup's primary key, then of the token's (tenant_id, id). */
export function liveTokenByHash(tokenHash: string) {
  return db()
    .select(liveTokenColumns)
    .from(apiTokenHashes)
    .innerJoin(apiTokens, and(eq(apiTokens.tenantId, apiTokenHashes.tenantId), eq(apiTokens.id, apiTokenHashes.tokenId)))
    .where(and(eq(apiTokenHashes.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1);
}

/** `Authorization: Bearer whc_…` → the SHA-256 of the presented secret token, or why there is none to look up. */
export function presentedTokenHash(authorization: string | null): { ok: true; hash: string } | { ok: false; reason: "missing" | "invalid" } {
  if (!authorization?.trim()) return { ok: false, reason: "missing" };
  const token = authorization.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1];
  if (!token || credentialKind(token) !== "secret") return { ok: false, reason: "invalid" };
  return { ok: true, hash: hashCredential(token) };
}

/** A live token found by its hash: its last use noted (at most once a minute), and what the routes need of it. */
export async function usedToken(row: LiveTokenRow): Promise<AuthenticatedToken> {
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS) {
    await db()
      .update(apiTokens)
      .set({ lastUsedAt: new Date(now) })
      .where(
        and(
          eq(apiTokens.tenantId, row.tenantId),
          eq(apiTokens.id, row.id),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now - LAST_USED_PRECISION_MS))),
        ),
      );
  }
  return { tenantId: row.tenantId, tokenId: row.id, scopes: row.scopes as ApiScope[] };
}

/** `Authorization: Bearer whc_…` → the token's tenant, or why not. Revoked and unknown tokens look the same. */
export async function authenticateApiToken(authorization: string | null): Promise<TokenCheck> {
  const presented = presentedTokenHash(authorization);
  if (!presented.ok) return presented;
  const [row] = await liveTokenByHash(presented.hash);
  if (!row) return { ok: false, reason: "invalid" };
  return { ok: true, token: await usedToken(row) };
}
