import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { orders, webhookEvents } from "@/db/schema";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { randomBase62 } from "@/lib/ids";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { reconcileOrder, reconcilePendingOrders } from "@/lib/ledger/reconcile";
import { ownerActor } from "@/lib/auth/actor";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { sandboxCompany, withLocalSandbox } from "../sandbox";

withTestDatabase();

const sandbox = withLocalSandbox();

/** A merchant on a fresh sandbox company with no webhook registered: every delivery is "lost". */
async function merchantWithCheckout() {
  const company = await sandboxCompany(sandbox.current);
  const { tenant, user } = await connectedMerchant();
  await connectWhopKey(ownerActor({ ...tenant, whopCompanyId: null }, user), company.companyKey);
  const connected = (await getTenantById(tenant.id))!;
  const created = await createItem(ownerActor(connected, user), itemFormSchema.parse({ title: "Course", price: "49", currency: "usd" }));
  if (!created.ok) throw new Error(created.message);
  const visit = await createBuyerCheckout({ slug: created.item.slug, attemptId: randomBase62(24), ip: `192.0.2.${Math.floor(Math.random() * 250)}` });
  if (visit.kind !== "redirect") throw new Error(visit.kind);
  const [order] = await db().select().from(orders).where(eq(orders.id, visit.orderId));
  return { tenant: connected, order: order! };
}

const sandboxPost = (path: string, body: unknown = {}) => fetch(`${sandbox.current.url}${path}`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json() as Promise<Record<string, unknown>>);
const statusOf = async (orderId: string) => (await db().select().from(orders).where(eq(orders.id, orderId)))[0]!;

describe("missed-webhook recovery", () => {
  it("settles a paid order whose webhook never arrived, once, however often it runs", async () => {
    const { tenant, order } = await merchantWithCheckout();
    expect(await reconcileOrder(tenant, order.id)).toEqual({ ok: true, outcome: "no_payment_yet" });

    const paid = await sandboxPost(`/_sandbox/checkouts/${order.whopCheckoutId}/pay`, { email: "late@example.com" });
    expect(paid).toMatchObject({ id: expect.stringMatching(/^pay_/), status: "paid" });

    expect(await reconcileOrder(tenant, order.id)).toEqual({ ok: true, outcome: "applied" });
    expect(await statusOf(order.id)).toMatchObject({ status: "paid", buyerEmail: "late@example.com", paidMinor: 4900 });
    expect(await reconcileOrder(tenant, order.id)).toEqual({ ok: true, outcome: "unchanged" });

    const events = await db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenant.id));
    // Each resource read from Whop is recorded once per state: the payment, then the membership it created.
    expect(events.map((e) => [e.scheme, e.eventType, e.result]).sort()).toEqual([
      ["reconcile", "membership (read from Whop)", "applied"],
      ["reconcile", "payment.succeeded (read from Whop)", "applied"],
    ]);
  });

  it("the batch command finds pending orders older than the cutoff and reads refunds too", async () => {
    const { tenant, order } = await merchantWithCheckout();
    const paid = (await sandboxPost(`/_sandbox/checkouts/${order.whopCheckoutId}/pay`)) as { id: string };
    const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000);
    await db().update(orders).set({ createdAt: twentyMinutesAgo, updatedAt: twentyMinutesAgo }).where(eq(orders.id, order.id));

    const first = await reconcilePendingOrders({ olderThanMinutes: 10 });
    expect(first.applied).toBeGreaterThanOrEqual(1);
    expect((await statusOf(order.id)).status).toBe("paid");
    const second = await reconcilePendingOrders({ olderThanMinutes: 10 });
    expect((await statusOf(order.id)).status).toBe("paid");
    expect(second.failedTenants).not.toContain(tenant.id);

    // Whop creates a refund pending: reconciliation records it as pending, and as refunded once it succeeds.
    const refund = (await sandboxPost(`/_sandbox/payments/${paid.id}/refund`, { amount: 20, settle: "hold" })) as { id: string; status: string };
    expect(refund.status).toBe("pending");
    expect(await reconcileOrder(tenant, order.id)).toEqual({ ok: true, outcome: "applied" });
    expect(await statusOf(order.id)).toMatchObject({ status: "paid", refundPending: true, refundedMinor: 0 });
    expect(await reconcileOrder(tenant, order.id)).toEqual({ ok: true, outcome: "unchanged" });

    await sandboxPost(`/_sandbox/refunds/${refund.id}/succeed`);
    expect(await reconcileOrder(tenant, order.id)).toEqual({ ok: true, outcome: "applied" });
    expect(await statusOf(order.id)).toMatchObject({ status: "partially_refunded", refundPending: false, refundedMinor: 2000 });
  });

  it("cannot reconcile another tenant's order", async () => {
    const { order } = await merchantWithCheckout();
    const { tenant: stranger } = await merchantWithCheckout();
    expect(await reconcileOrder(stranger, order.id)).toEqual({ ok: false, message: "That order does not exist." });
  });
});
