import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { apiTokenHashes, itemSlugs, tenantPublicIds, userEmails, users } from "@/db/schema";
import { authenticateApiToken, createApiToken, revokeApiToken } from "@/lib/api/tokens";
import { deleteAccount } from "@/lib/auth/account-settings";
import { ownerActor } from "@/lib/auth/actor";
import { findUserByEmail, logIn, signUp } from "@/lib/auth/accounts";
import { getTenantByPublicId } from "@/lib/tenants/queries";
import { fixtureItem } from "../fixtures";
import { uniqueEmail, withTestDatabase } from "../db";

/* The global lookup tables (README, Citus section) are written with the rows they point to. */

withTestDatabase();
const password = "correct horse battery";

async function merchant() {
  const result = await signUp({ email: uniqueEmail("lookup"), password, ip: null });
  if (!result.ok) throw new Error("sign-up failed");
  return result;
}

describe("global lookups", () => {
  it("sign-up writes the public id and email lookups; the webhook route and log-in go through them", async () => {
    const { tenant, user } = await merchant();
    expect(await db().select().from(tenantPublicIds).where(eq(tenantPublicIds.tenantId, tenant.id))).toEqual([{ publicId: tenant.publicId, tenantId: tenant.id }]);
    expect(await db().select().from(userEmails).where(eq(userEmails.email, user.email))).toEqual([{ email: user.email, userId: user.id }]);
    expect((await getTenantByPublicId(tenant.publicId))?.id).toBe(tenant.id);
    expect(await getTenantByPublicId("wh_0000000000000000000000")).toBeUndefined();
    expect((await findUserByEmail(user.email))?.id).toBe(user.id);
    expect(await logIn({ email: user.email, password, ip: null })).toMatchObject({ ok: true, user: { id: user.id } });
  });

  it("two parallel sign-ups with one email make one account; the other is told the email is taken", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all(Array.from({ length: 4 }, () => signUp({ email, password, ip: null })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual(Array.from({ length: 3 }, () => ({ ok: false, reason: "email_taken" })));
    expect(await db().$count(users, eq(users.email, email))).toBe(1);
    expect(await db().$count(userEmails, eq(userEmails.email, email))).toBe(1);
  });

  it("an item's slug is in item_slugs and unique across tenants; within the tenant items are unique on (tenant_id, slug)", async () => {
    const a = await merchant();
    const b = await merchant();
    const item = await fixtureItem(a.tenant);
    expect(await db().select().from(itemSlugs).where(eq(itemSlugs.slug, item.slug))).toEqual([{ slug: item.slug, tenantId: a.tenant.id, itemId: item.id }]);
    await expect(fixtureItem(b.tenant, { slug: item.slug })).rejects.toThrow();
    await expect(fixtureItem(a.tenant, { slug: item.slug })).rejects.toThrow();
    expect(await db().$count(itemSlugs, eq(itemSlugs.slug, item.slug))).toBe(1);
  });

  it("a token's hash is in api_token_hashes; revoking keeps the lookup row and the token stops working", async () => {
    const { tenant, user } = await merchant();
    const actor = ownerActor(tenant, user);
    const created = await createApiToken(actor, "app");
    if (!created.ok) throw new Error(created.message);
    expect(await db().select().from(apiTokenHashes).where(eq(apiTokenHashes.tokenHash, created.row.tokenHash))).toEqual([
      { tokenHash: created.row.tokenHash, tenantId: tenant.id, tokenId: created.row.id },
    ]);
    expect(await authenticateApiToken(`Bearer ${created.token}`)).toEqual({ ok: true, token: { tenantId: tenant.id, tokenId: created.row.id, scopes: created.row.scopes } });
    await revokeApiToken(actor, created.row.id);
    expect(await db().$count(apiTokenHashes, eq(apiTokenHashes.tokenHash, created.row.tokenHash))).toBe(1);
    expect(await authenticateApiToken(`Bearer ${created.token}`)).toEqual({ ok: false, reason: "invalid" });
  });

  it("deleting the account deletes its lookup rows, so its email can sign up again", async () => {
    const { tenant, user } = await merchant();
    const item = await fixtureItem(tenant);
    const token = await createApiToken(ownerActor(tenant, user), "app");
    if (!token.ok) throw new Error(token.message);
    expect(await deleteAccount({ ...ownerActor(tenant, user), ip: "198.51.100.201" }, { confirmation: user.email, password })).toEqual({ ok: true });
    expect(await db().$count(tenantPublicIds, eq(tenantPublicIds.tenantId, tenant.id))).toBe(0);
    expect(await db().$count(userEmails, eq(userEmails.email, user.email))).toBe(0);
    expect(await db().$count(itemSlugs, eq(itemSlugs.slug, item.slug))).toBe(0);
    expect(await db().$count(apiTokenHashes, eq(apiTokenHashes.tokenHash, token.row.tokenHash))).toBe(0);
    expect(await signUp({ email: user.email, password, ip: null })).toMatchObject({ ok: true });
  });
});
