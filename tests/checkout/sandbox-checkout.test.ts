import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWhopSandbox, type WhopSandbox } from "@/sandbox/server";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { env, resetEnvCache } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";

withTestDatabase();

let sandbox: WhopSandbox;
const previousOrigin = process.env.WHOP_API_ORIGIN;

beforeAll(async () => {
  sandbox = await startWhopSandbox({ port: 0 });
  process.env.WHOP_API_ORIGIN = sandbox.url;
  resetEnvCache();
});
afterAll(async () => {
  process.env.WHOP_API_ORIGIN = previousOrigin;
  resetEnvCache();
  await sandbox.close();
});

describe("the whole buyer path against the local Whop sandbox", () => {
  it("connects, creates an item, and sends the buyer to a checkout page with the right title and price", async () => {
    expect(env().whopApiOrigin).toBe(sandbox.url);
    const company = (await (await fetch(`${sandbox.url}/_sandbox/companies`, { method: "POST", body: JSON.stringify({ title: "Sandbox Studio" }) })).json()) as {
      companyKey: string;
    };
    const { tenant, user } = await connectedMerchant();
    const fresh = { ...tenant, whopCompanyId: null, whopApiKeyCiphertext: null };
    expect(await connectWhopKey({ tenant: fresh, actorUserId: user.id, pastedKey: company.companyKey, ip: null })).toMatchObject({
      ok: true,
      company: { title: "Sandbox Studio" },
    });
    const connected = (await getTenantById(tenant.id))!;

    const created = await createItem(
      { tenant: connected, userId: user.id, ip: null },
      itemFormSchema.parse({ title: "Lightroom presets", price: "19.50", currency: "eur", description: "Twelve presets" }),
    );
    if (!created.ok) throw new Error(created.message);

    const result = await createBuyerCheckout({ slug: created.item.slug, attemptId: randomBase62(24), ip: "192.0.2.10" });
    if (result.kind !== "redirect") throw new Error(`expected a redirect, got ${result.kind}`);
    expect(result.url.startsWith(`${sandbox.url}/checkout/plan_`)).toBe(true);

    const page = await (await fetch(result.url)).text();
    expect(page).toContain("Lightroom presets");
    expect(page).toContain("€19.50");
  });
});
