import { describe, expect, it } from "vitest";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { ownerActor } from "@/lib/auth/actor";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { sandboxCompany, withLocalSandbox } from "../sandbox";

withTestDatabase();

const sandbox = withLocalSandbox();

describe("the whole buyer path against the local Whop sandbox", () => {
  it("connects, creates an item, and sends the buyer to a checkout page with the right title and price", async () => {
    expect(env().whopApiOrigin).toBe(sandbox.current.url);
    const company = await sandboxCompany(sandbox.current, "Sandbox Studio");
    const { tenant, user } = await connectedMerchant();
    const fresh = { ...tenant, whopCompanyId: null, whopApiKeyCiphertext: null };
    expect(await connectWhopKey(ownerActor(fresh, user), company.companyKey)).toMatchObject({
      ok: true,
      company: { title: "Sandbox Studio" },
    });
    const connected = (await getTenantById(tenant.id))!;

    const created = await createItem(
      ownerActor(connected, user),
      itemFormSchema.parse({ title: "Lightroom presets", price: "19.50", currency: "eur", description: "Twelve presets" }),
    );
    if (!created.ok) throw new Error(created.message);

    const result = await createBuyerCheckout({ slug: created.item.slug, attemptId: randomBase62(24), ip: "192.0.2.10" });
    if (result.kind !== "redirect") throw new Error(`expected a redirect, got ${result.kind}`);
    expect(result.url.startsWith(`${sandbox.current.url}/checkout/plan_`)).toBe(true);

    const page = await (await fetch(result.url)).text();
    expect(page).toContain("Lightroom presets");
    expect(page).toContain("€19.50");
  });
});
