import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { ledgerPayments, ledgerRefunds, orders, outboundEvents, type Tenant } from "@/db/schema";
import { ownerActor } from "@/lib/auth/actor";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { randomBase62 } from "@/lib/ids";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { renewalRevenueByCurrency, revenueByCurrency } from "@/lib/overview/queries";
import { orderAccess } from "@/lib/ledger/access";
import { reconcileOrder } from "@/lib/ledger/reconcile";
import { refundPosition, requestRefund } from "@/lib/ledger/refunds";
import { expireAbandonedCheckouts } from "@/lib/orders/expire";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { saveWebhookSecret } from "@/lib/tenants/webhook-secret";
import { accessFromApi } from "../api/access-route";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { sandboxCompany, waitFor, withLocalSandbox, withWebhookReceiver } from "../sandbox";

withTestDatabase();

/*
 * A monthly subscription with a 7-day trial, played through the local sandbox: its real webhooks
 * reach the real route. Trial → active → renewal (two payments, both in revenue); a failed renewal
 * → past due and no access; cancel at period end → canceling → the period ends → canceled, no access.
 */
const local = withLocalSandbox({ timeScale: 0.001 });
const receiver = withWebhookReceiver();

const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;
const sandbox = async (path: string, body: unknown = {}) => {
  const response = await fetch(`${local.current.url}/_sandbox${path}`, { method: "POST", body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown> & { id: string };
};

async function subscribedBuyer(email: string, billing = "monthly", trialDays = "7") {
  const company = await sandboxCompany(local.current);
  const { tenant, user } = await connectedMerchant();
  await connectWhopKey(ownerActor({ ...tenant, whopCompanyId: null }, user), company.companyKey);
  const connected = (await getTenantById(tenant.id))!;
  const hook = (await (
    await fetch(`${local.current.url}/api/v1/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${company.companyKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `${receiver.url}/api/webhooks/whop/${connected.publicId}`, api_version: "v1", enabled: true, events: [], resource_id: company.companyId }),
    })
  ).json()) as { webhook_secret: string };
  expect((await saveWebhookSecret(ownerActor(connected, user), hook.webhook_secret)).ok).toBe(true);
  const ready = (await getTenantById(tenant.id))!;
  const created = await createItem(ownerActor(ready, user), itemFormSchema.parse({ title: "Monthly club", price: "9.99", currency: "usd", billing, trialDays }));
  if (!created.ok) throw new Error(created.message);
  const visit = await createBuyerCheckout({ slug: created.item.slug, attemptId: randomBase62(24), ip: "192.0.2.80" });
  if (visit.kind !== "redirect") throw new Error(visit.kind);
  const order = await orderRow(visit.orderId);
  // Pay answers the payment, or the membership when a trial charged nothing.
  const paid = await sandbox(`/checkouts/${order.whopCheckoutId}/pay`, { email });
  const membershipId = (paid.membership as { id: string } | undefined)?.id ?? paid.id;
  return { tenant: ready, user, company, item: created.item, orderId: visit.orderId, membershipId, hookId: (hook as unknown as { id: string }).id };
}

const access = (tenant: Tenant, user: { id: string; email: string }, itemId: string, email: string) => accessFromApi(tenant, user, { item: itemId, email });

describe("a subscription through the sandbox", () => {
  it("trial → active → renewal: two payments on the one order, revenue counts both, access throughout", async () => {
    const buyer = `trial-${randomBase62(6).toLowerCase()}@example.com`;
    const { tenant, user, item, orderId, membershipId } = await subscribedBuyer(buyer);

    const trialing = await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "trialing");
    expect(trialing).toMatchObject({ subscriptionState: "trialing", status: "pending", whopMembershipId: membershipId, membershipValid: true });
    expect(trialing.currentPeriodEnd!.getTime() - trialing.createdAt.getTime()).toBeGreaterThan(6.9 * 86_400_000);
    expect(orderAccess(trialing).access).toBe(true);
    // A trial has no payment, yet its checkout was not abandoned: the expiry job leaves it alone.
    expect(await expireAbandonedCheckouts({ tenantId: tenant.id, now: new Date(Date.now() + 25 * 3_600_000) })).toMatchObject({ expired: 0 });

    await sandbox(`/memberships/${membershipId}/end-trial`);
    const active = await waitFor(() => orderRow(orderId), (row) => row.status === "paid" && row.subscriptionState === "active" && row.currentPeriodEnd! > trialing.currentPeriodEnd!);
    expect(active).toMatchObject({ status: "paid", paidMinor: 999, subscriptionState: "active", amountMismatch: false });

    const renewal = await sandbox(`/memberships/${membershipId}/renew`);
    // The renewal payment and the membership's new period arrive as two webhooks, in either order.
    const renewed = await waitFor(() => orderRow(orderId), (row) => row.paidMinor === 1998 && row.currentPeriodEnd! > active.currentPeriodEnd!);
    expect(renewed).toMatchObject({ status: "paid", paidMinor: 1998, subscriptionState: "active", amountMismatch: false });
    const payments = await db().select().from(ledgerPayments).where(and(eq(ledgerPayments.tenantId, tenant.id), eq(ledgerPayments.orderId, orderId)));
    expect(payments.map((p) => [p.billingReason, p.status, p.subtotalMinor]).sort()).toEqual([
      ["subscription_cycle", "succeeded", 999],
      ["subscription_cycle", "succeeded", 999],
    ]);
    const [usd] = await revenueByCurrency(tenant.id, { days: 30 });
    expect(usd).toMatchObject({ currency: "usd", netMinor: 1998, orders: 1 });
    // The trial's first charge starts the subscription; only the second payment is a renewal.
    expect(payments.filter((p) => p.renewal).map((p) => p.id)).toEqual([renewal.id]);
    expect(await renewalRevenueByCurrency(tenant.id, { days: 30 })).toEqual([{ currency: "usd", minor: 999, count: 1 }]);

    const answer = await access(tenant, user, item.id, buyer);
    expect(answer).toMatchObject({ status: 200, body: { access: true, subscription: { state: "active", cancel_at_period_end: false, current_period_end: renewed.currentPeriodEnd!.toISOString() } } });

    // A refund of the renewal attaches to that payment.
    await sandbox(`/payments/${renewal.id}/refund`, {});
    const refunded = await waitFor(() => orderRow(orderId), (row) => row.refundedMinor === 999);
    expect(refunded.status).toBe("partially_refunded");
    const [refund] = await db().select().from(ledgerRefunds).where(and(eq(ledgerRefunds.tenantId, tenant.id), eq(ledgerRefunds.orderId, orderId)));
    expect(refund).toMatchObject({ paymentId: renewal.id, status: "succeeded", amountMinor: 999 });

    const types = (await db().select({ type: outboundEvents.type }).from(outboundEvents).where(and(eq(outboundEvents.tenantId, tenant.id), eq(outboundEvents.orderId, orderId)))).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["subscription.trialing", "subscription.activated", "order.paid", "subscription.renewed"]));
  });

  it("a failed renewal makes it past due without access; a later charge brings it back", async () => {
    const buyer = `pastdue-${randomBase62(6).toLowerCase()}@example.com`;
    const { tenant, user, item, orderId, membershipId } = await subscribedBuyer(buyer, "weekly", "");
    await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "active" && row.status === "paid");

    await sandbox(`/memberships/${membershipId}/fail-renewal`);
    const pastDue = await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "past_due");
    expect(pastDue).toMatchObject({ subscriptionState: "past_due", status: "paid", paidMinor: 999 });
    expect(orderAccess(pastDue)).toMatchObject({ access: false, reason: "subscription_past_due" });
    expect(await access(tenant, user, item.id, buyer)).toMatchObject({ body: { access: false, subscription: { state: "past_due" } } });

    await sandbox(`/memberships/${membershipId}/renew`);
    const back = await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "active" && row.paidMinor === 1998);
    expect(orderAccess(back).access).toBe(true);
  });

  it("a refund from the dashboard goes to the latest payment with that much left: the renewal first, then the first payment; more than one payment holds is refused", async () => {
    const buyer = `refund-${randomBase62(6).toLowerCase()}@example.com`;
    const { tenant, user, orderId, membershipId } = await subscribedBuyer(buyer, "monthly", "");
    await waitFor(() => orderRow(orderId), (row) => row.paidMinor === 999);
    const renewal = await sandbox(`/memberships/${membershipId}/renew`);
    await waitFor(() => orderRow(orderId), (row) => row.paidMinor === 1998);
    const actor = ownerActor(tenant, user);
    const refund = async (amount: string) => requestRefund(actor, { orderId, amount, reason: "", baseMinor: (await refundPosition(undefined, await orderRow(orderId))).committedMinor });

    expect(await refund("15.00")).toMatchObject({ ok: false, field: "amount", message: expect.stringContaining("one payment at a time: at most $9.99") });
    expect(await refund("9.99")).toMatchObject({ ok: true });
    await waitFor(() => orderRow(orderId), (row) => row.refundedMinor === 999);
    const first = (await orderRow(orderId)).whopPaymentId!;
    expect(first).not.toBe(renewal.id);
    expect(await refund("9.99")).toMatchObject({ ok: true });
    const refunded = await waitFor(() => orderRow(orderId), (row) => row.refundedMinor === 1998);
    expect(refunded.status).toBe("refunded");
    const rows = await db().select().from(ledgerRefunds).where(and(eq(ledgerRefunds.tenantId, tenant.id), eq(ledgerRefunds.orderId, orderId)));
    expect(rows.map((r) => [r.paymentId, r.amountMinor, r.status]).sort()).toEqual([
      [first, 999, "succeeded"],
      [renewal.id, 999, "succeeded"],
    ].sort());
  });

  it("a renewal whose webhook never arrived is found by reconciliation among the payments of the order's plan", async () => {
    const buyer = `lost-${randomBase62(6).toLowerCase()}@example.com`;
    const { tenant, orderId, membershipId, company, hookId } = await subscribedBuyer(buyer, "monthly", "");
    await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "active" && row.paidMinor === 999);
    const patch = (enabled: boolean) =>
      fetch(`${local.current.url}/api/v1/webhooks/${hookId}`, { method: "PATCH", headers: { authorization: `Bearer ${company.companyKey}`, "content-type": "application/json" }, body: JSON.stringify({ enabled }) });
    await patch(false);
    await sandbox(`/memberships/${membershipId}/renew`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await orderRow(orderId)).paidMinor).toBe(999);
    await patch(true);

    expect(await reconcileOrder(tenant, orderId)).toMatchObject({ ok: true, outcome: "applied" });
    expect(await orderRow(orderId)).toMatchObject({ paidMinor: 1998, subscriptionState: "active" });
  });

  it("cancel at period end → canceling with access → the period ends → canceled, access false", async () => {
    const buyer = `cancel-${randomBase62(6).toLowerCase()}@example.com`;
    const { tenant, user, item, orderId, membershipId, company } = await subscribedBuyer(buyer, "yearly", "");
    await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "active");

    await fetch(`${local.current.url}/api/v1/memberships/${membershipId}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${company.companyKey}`, "content-type": "application/json" },
      body: JSON.stringify({ cancellation_mode: "at_period_end" }),
    });
    const canceling = await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "canceling");
    expect(canceling).toMatchObject({ cancelAtPeriodEnd: true, subscriptionState: "canceling" });
    expect(orderAccess(canceling).access).toBe(true);
    expect(await access(tenant, user, item.id, buyer)).toMatchObject({ body: { access: true, subscription: { state: "canceling", cancel_at_period_end: true } } });

    await sandbox(`/memberships/${membershipId}/period-end`);
    const ended = await waitFor(() => orderRow(orderId), (row) => row.subscriptionState === "canceled");
    expect(ended.subscriptionEndedAt).not.toBeNull();
    expect(orderAccess(ended).access).toBe(false);
    expect(await access(tenant, user, item.id, buyer)).toMatchObject({ body: { access: false, subscription: { state: "canceled" } } });
  });
});
