import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { auditLog, items } from "@/db/schema";
import { env } from "@/lib/env";
import { checkoutLink, createItem, getItem, itemFormSchema, listItems, setItemActive, updateItem } from "@/lib/items/items";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem } from "../fixtures";

withTestDatabase();

const PRODUCTS = `${env().whopApiOrigin}/api/v1/products`;
const productBodies: unknown[] = [];
const server = setupServer(
  http.post(PRODUCTS, async ({ request }) => {
    productBodies.push(await request.json());
    return HttpResponse.json({ id: "prod_Abc123Def45", title: "x" });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  productBodies.length = 0;
});
afterAll(() => server.close());

const form = (values: Record<string, string>) => itemFormSchema.safeParse({ title: "Template pack", price: "29.99", currency: "usd", ...values });

describe("the item form", () => {
  it("turns the typed price into minor units of the chosen currency", () => {
    expect(form({}).data).toEqual({ title: "Template pack", description: null, currency: "usd", priceMinor: 2999, billingPeriodDays: null, trialPeriodDays: null, issueLicenseKeys: false, activationLimit: null });
    expect(form({ issueLicenseKeys: "on", activationLimit: " 3 " }).data).toMatchObject({ issueLicenseKeys: true, activationLimit: 3 });
    expect(form({ price: "1500", currency: "JPY", description: "  " }).data).toMatchObject({ currency: "jpy", priceMinor: 1500, description: null });
  });

  it("names the field of each mistake", () => {
    const issues = (values: Record<string, string>) => form(values).error?.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues({ title: "   " })).toEqual([["title", "Give the item a title."]]);
    expect(issues({ title: "x".repeat(81) })).toEqual([["title", "Keep the title under 81 characters."]]);
    expect(issues({ price: "29.999" })).toEqual([["price", "USD prices have at most 2 decimals."]]);
    expect(issues({ price: "0" })).toEqual([["price", "The price must be more than zero."]]);
    expect(issues({ currency: "doge" })).toEqual([["currency", "Choose a currency from the list."]]);
    expect(issues({ description: "y".repeat(501) })).toEqual([["description", "Keep the description under 501 characters."]]);
    for (const activationLimit of ["0", "-1", "2.5", "lots", "10001"]) expect(issues({ activationLimit })?.[0]?.[0]).toBe("activationLimit");
  });
});

describe("items", () => {
  it("creates the item with its Whop product, an unguessable slug, a checkout link and an audit entry", async () => {
    const { tenant, actor } = await connectedMerchant();
    const result = await createItem(actor, form({}).data!);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(productBodies).toEqual([{ title: "Template pack" }]);
    expect(result.item).toMatchObject({ tenantId: tenant.id, whopProductId: "prod_Abc123Def45", priceMinor: 2999, currency: "usd", active: true });
    expect(result.item.slug).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(checkoutLink(result.item)).toBe(`${env().appUrl}/pay/${result.item.slug}`);
    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, tenant.id));
    expect(audit.map((a) => a.action)).toContain("item.created");
  });

  it("saves nothing when Whop refuses the product, and says why", async () => {
    server.use(http.post(PRODUCTS, () => HttpResponse.json({ error: { type: "unauthorized", message: "Invalid API key" } }, { status: 401 })));
    const { tenant, actor } = await connectedMerchant();
    const result = await createItem(actor, form({}).data!);
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/rejected your API key.*Nothing was saved\.$/) });
    expect(await listItems(tenant.id)).toEqual([]);
  });

  it("edits and deactivates only the merchant's own items", async () => {
    const owner = await connectedMerchant();
    const stranger = await connectedMerchant();
    const item = await fixtureItem(owner.tenant);

    expect(await getItem(stranger.tenant.id, item.id)).toBeUndefined();
    expect(await listItems(stranger.tenant.id)).toEqual([]);
    expect(await updateItem(stranger.actor, item.id, form({ title: "Hijacked" }).data!)).toEqual({ ok: false, message: "That item does not exist." });
    expect(await setItemActive(stranger.actor, item.id, false)).toEqual({ ok: false, message: "That item does not exist." });
    const [unchanged] = await db().select().from(items).where(eq(items.id, item.id));
    expect(unchanged).toMatchObject({ title: item.title, active: true });

    expect((await updateItem(owner.actor, item.id, form({ title: "Renamed", price: "5" }).data!)).ok).toBe(true);
    expect((await setItemActive(owner.actor, item.id, false)).ok).toBe(true);
    expect(await getItem(owner.tenant.id, item.id)).toMatchObject({ title: "Renamed", priceMinor: 500, active: false });
  });
});
