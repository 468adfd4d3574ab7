import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { orders, webhookEvents } from "@/db/schema";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { randomBase62 } from "@/lib/ids";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { ownerActor } from "@/lib/auth/actor";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { saveWebhookSecret } from "@/lib/tenants/webhook-secret";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { sandboxCompany, waitFor, withLocalSandbox, withWebhookReceiver } from "../sandbox";

withTestDatabase();

/*
 * The local sandbox's real deliveries reaching the real route: a paid checkout turns the order
 * paid, whether the merchant registered the webhook as v1 (Standard Webhooks) or v5 (x-whop-signature).
 */
const local = withLocalSandbox({ timeScale: 0.001 });
const receiver = withWebhookReceiver();

/** A merchant connected to a fresh sandbox company, its webhook registered as `apiVersion`, and one order paid through the sandbox. */
async function paidOrder(apiVersion: "v1" | "v5", email: string) {
  const sandbox = local.current;
  const company = await sandboxCompany(sandbox);
  const { tenant, user } = await connectedMerchant();
  await connectWhopKey(ownerActor({ ...tenant, whopCompanyId: null }, user), company.companyKey);
  const connected = (await getTenantById(tenant.id))!;

  const hook = (await (
    await fetch(`${sandbox.url}/api/v1/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${company.companyKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `${receiver.url}/api/webhooks/whop/${connected.publicId}`, api_version: apiVersion, enabled: true, events: [], resource_id: company.companyId }),
    })
  ).json()) as { webhook_secret: string };
  expect((await saveWebhookSecret(ownerActor(connected, user), hook.webhook_secret)).ok).toBe(true);

  const withSecret = (await getTenantById(tenant.id))!;
  const created = await createItem(ownerActor(withSecret, user), itemFormSchema.parse({ title: "Ebook", price: "9.99", currency: "usd" }));
  if (!created.ok) throw new Error(created.message);
  const visit = await createBuyerCheckout({ slug: created.item.slug, attemptId: randomBase62(24), ip: "192.0.2.77" });
  if (visit.kind !== "redirect") throw new Error(visit.kind);
  const [order] = await db().select().from(orders).where(eq(orders.id, visit.orderId));
  const paid = (await (
    await fetch(`${sandbox.url}/_sandbox/checkouts/${order!.whopCheckoutId}/pay`, { method: "POST", body: JSON.stringify({ email }) })
  ).json()) as { id: string };
  const settled = await waitFor(
    async () => (await db().select().from(orders).where(eq(orders.id, visit.orderId)))[0]!,
    (row) => row.status === "paid" && row.membershipValid === true,
  );
  return { sandbox, tenant, orderId: visit.orderId, paymentId: paid.id, settled };
}

const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;
const sandboxPost = async (path: string, body: unknown = {}) =>
  (await (await fetch(`${local.current.url}/_sandbox${path}`, { method: "POST", body: JSON.stringify(body) })).json()) as { id: string; status: string };

describe.each(["v1", "v5"] as const)("sandbox deliveries with a %s webhook", (apiVersion) => {
  it("a paid checkout turns the order paid and the membership valid", async () => {
    const { tenant, settled } = await paidOrder(apiVersion, `${apiVersion}@example.com`);
    // v5 payloads carry only the user id, no email.
    expect(settled).toMatchObject({ status: "paid", membershipValid: true, paidMinor: 999, buyerEmail: apiVersion === "v1" ? "v1@example.com" : null });
    const events = await db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenant.id));
    expect(new Set(events.map((e) => e.scheme))).toEqual(new Set([apiVersion === "v1" ? "standard" : "legacy"]));
  });

  it("a refund counts once it succeeds: held pending the order stays paid, a failed one changes nothing", async () => {
    const { orderId, paymentId } = await paidOrder(apiVersion, `refund-${apiVersion}@example.com`);
    const failing = await sandboxPost(`/payments/${paymentId}/refund`, { amount: 4, settle: "hold" });
    expect(failing.status).toBe("pending");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await orderRow(orderId)).toMatchObject({ status: "paid", refundedMinor: 0 });
    await sandboxPost(`/refunds/${failing.id}/fail`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await orderRow(orderId)).toMatchObject({ status: "paid", refundedMinor: 0 });

    await sandboxPost(`/payments/${paymentId}/refund`, {});
    const refunded = await waitFor(() => orderRow(orderId), (row) => row.status === "refunded");
    expect(refunded).toMatchObject({ status: "refunded", refundedMinor: 999 });
  });

  it("a dispute reaches the order: disputed while open, dispute_lost when lost; a won one leaves it paid", async () => {
    const lost = await paidOrder(apiVersion, `dispute-${apiVersion}@example.com`);
    const opened = await sandboxPost(`/payments/${lost.paymentId}/dispute`, { reason: "fraudulent" });
    expect(await waitFor(() => orderRow(lost.orderId), (row) => row.status === "disputed")).toMatchObject({ status: "disputed" });
    await sandboxPost(`/disputes/${opened.id}/lose`);
    expect(await waitFor(() => orderRow(lost.orderId), (row) => row.status === "dispute_lost")).toMatchObject({ status: "dispute_lost" });

    const won = await paidOrder(apiVersion, `won-${apiVersion}@example.com`);
    const second = await sandboxPost(`/payments/${won.paymentId}/dispute`);
    expect(await waitFor(() => orderRow(won.orderId), (row) => row.status === "disputed")).toMatchObject({ status: "disputed" });
    await sandboxPost(`/disputes/${second.id}/win`);
    expect(await waitFor(() => orderRow(won.orderId), (row) => row.status === "paid")).toMatchObject({ status: "paid" });
  });
});
