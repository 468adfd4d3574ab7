import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createApiTokenAction, revokeApiTokenAction } from "@/app/dashboard/api/actions";
import ApiPage from "@/app/dashboard/api/page";
import { db } from "@/db/client";
import { apiTokens, auditLog } from "@/db/schema";
import { createApiToken } from "@/lib/api/tokens";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { expectRedirect, html } from "./next-errors";
import { signInRecently, signOut } from "./session";
import { tenantSnapshot } from "./snapshot";

vi.mock("@/lib/auth/session", () => import("./session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

withTestDatabase();

/*
 * The API page and its two actions, by merchant A with merchant B's token ids (and B's tenant id
 * smuggled into the form): A never sees, revokes or adds a token of B's.
 */

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

async function merchantWithToken(name: string) {
  const merchant = await connectedMerchant();
  const created = await createApiToken(merchant.actor, name);
  if (!created.ok) throw new Error(created.message);
  return { ...merchant, token: created.token, tokenRow: created.row };
}

describe("/dashboard/api", () => {
  it("lists only the signed-in merchant's tokens, by name and last four characters, never a whole token", async () => {
    const a = await merchantWithToken("A's course site");
    await merchantWithToken("B's license server");
    await signInRecently(a);
    const page = html(await ApiPage());
    expect(page).toContain("A&#x27;s course site");
    expect(page).toContain(`whc_…${a.tokenRow.tokenHint}`);
    expect(page).not.toContain(a.token);
    expect(page).not.toContain("B&#x27;s license server");
    expect(page).toContain("/api/v1/openapi.json");
    expect(page).toContain("licenses:write");
  });
});

describe("createApiTokenAction", () => {
  it("creates the token under the signed-in merchant whatever tenant the form names, shows it once and audits it", async () => {
    const a = await connectedMerchant();
    const b = await merchantWithToken("B's");
    const beforeB = await tenantSnapshot(b.tenant.id);
    await signInRecently(a);

    const fields = form({ name: "  Members area  ", tenantId: b.tenant.id });
    fields.append("scopes", "licenses:write");
    fields.append("scopes", "orders:read");
    const state = await createApiTokenAction({}, fields);
    expect(state.success).toContain("Members area");
    expect(state.reveal).toMatch(/^whc_[A-Za-z0-9]{38}$/);
    const rows = await db().select().from(apiTokens).where(eq(apiTokens.tenantId, a.tenant.id));
    expect(rows.map((row) => [row.name, row.tokenHint, row.scopes])).toEqual([["Members area", state.reveal!.slice(-4), ["orders:read", "licenses:write"]]]);
    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, a.tenant.id));
    expect(audit.map((entry) => entry.action)).toContain("api_token.created");
    expect(JSON.stringify(audit)).not.toContain(state.reveal!);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("asks for a name and at least one known scope, and makes nothing without them", async () => {
    const a = await connectedMerchant();
    await signInRecently(a);
    expect(await createApiTokenAction({}, form({ name: "   ", scopes: "orders:read" }))).toMatchObject({ fieldErrors: { name: expect.stringContaining("Name the token") } });
    expect(await createApiTokenAction({}, form({ name: "app" }))).toMatchObject({ fieldErrors: { scopes: "Choose at least one scope." }, values: { name: "app" } });
    expect(await createApiTokenAction({}, form({ name: "app", scopes: "orders:write" }))).toMatchObject({ fieldErrors: { scopes: expect.stringContaining("not a scope") } });
    expect(await db().select().from(apiTokens).where(eq(apiTokens.tenantId, a.tenant.id))).toEqual([]);
  });
});

describe("revokeApiTokenAction", () => {
  it("refuses merchant B's token to merchant A and changes nothing; revokes A's own", async () => {
    const a = await merchantWithToken("A's");
    const b = await merchantWithToken("B's");
    const beforeB = await tenantSnapshot(b.tenant.id);
    await signInRecently(a);

    expect(await revokeApiTokenAction({}, form({ tokenId: b.tokenRow.id }))).toMatchObject({ error: "That token does not exist or is already revoked." });
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);

    expect((await revokeApiTokenAction({}, form({ tokenId: a.tokenRow.id }))).success).toContain("revoked");
    const [row] = await db().select().from(apiTokens).where(eq(apiTokens.id, a.tokenRow.id));
    expect(row!.revokedAt).toBeInstanceOf(Date);
  });
});

describe("signed out", () => {
  it("the page and both actions redirect to /login and touch nothing", async () => {
    const b = await merchantWithToken("B's");
    const before = await tenantSnapshot(b.tenant.id);
    signOut();
    await expectRedirect(() => ApiPage(), "/login");
    await expectRedirect(() => createApiTokenAction({}, form({ name: "x" })), "/login");
    await expectRedirect(() => revokeApiTokenAction({}, form({ tokenId: b.tokenRow.id })), "/login");
    expect(await tenantSnapshot(b.tenant.id)).toBe(before);
  });
});
