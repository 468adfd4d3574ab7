import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { cancelMembershipAction, refundOrderAction } from "@/app/dashboard/orders/[id]/actions";
import { db } from "@/db/client";
import { auditLog, orders, refundRequests, tenants, type Order } from "@/db/schema";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { encryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { reconcileOrder } from "@/lib/ledger/reconcile";
import { ownerActor } from "@/lib/auth/actor";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { saveWebhookSecret } from "@/lib/tenants/webhook-secret";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { expectRedirect } from "../isolation/next-errors";
import { signInAs, signOut } from "../isolation/session";
import { sandboxCompany, waitFor, withLocalSandbox, withWebhookReceiver } from "../sandbox";

vi.mock("@/lib/auth/session", () => import("../isolation/session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

withTestDatabase();

/*
 * Refund and cancel from the order page, end to end against the local sandbox: the server action
 * asks Whop, the order shows the request, and only Whop's webhook (through the real route) moves
 * the order's status and membership.
 */
const local = withLocalSandbox({ timeScale: 0.001 });
const receiver = withWebhookReceiver();
afterAll(() => {
  signOut();
});


const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;

/** A merchant on a fresh sandbox company with its webhook registered, and one paid $49 order. */
async function paidOrder() {
  const sandbox = local.current;
  // The control answers every key of the new company; `sandboxCompany` only types two of them.
  const company = (await sandboxCompany(sandbox)) as Awaited<ReturnType<typeof sandboxCompany>> & { restrictedKey: string };
  const account = await connectedMerchant();
  await connectWhopKey(ownerActor({ ...account.tenant, whopCompanyId: null }, account.user), company.companyKey);
  const connected = (await getTenantById(account.tenant.id))!;
  const hook = (await (
    await fetch(`${sandbox.url}/api/v1/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${company.companyKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `${receiver.url}/api/webhooks/whop/${connected.publicId}`, api_version: "v1", enabled: true, events: [], resource_id: company.companyId }),
    })
  ).json()) as { id: string; webhook_secret: string };
  expect((await saveWebhookSecret(ownerActor(connected, account.user), hook.webhook_secret)).ok).toBe(true);
  const tenant = (await getTenantById(account.tenant.id))!;
  const created = await createItem(ownerActor(tenant, account.user), itemFormSchema.parse({ title: "Course", price: "49", currency: "usd" }));
  if (!created.ok) throw new Error(created.message);
  const visit = await createBuyerCheckout({ slug: created.item.slug, attemptId: randomBase62(24), ip: `198.51.100.${Math.floor(Math.random() * 250)}` });
  if (visit.kind !== "redirect") throw new Error(visit.kind);
  const pending = await orderRow(visit.orderId);
  await fetch(`${sandbox.url}/_sandbox/checkouts/${pending.whopCheckoutId}/pay`, { method: "POST", body: JSON.stringify({ email: "buyer@example.com" }) });
  const order = await waitFor(() => orderRow(visit.orderId), (row) => row.status === "paid" && row.membershipValid === true);
  expect(order).toMatchObject({ status: "paid", membershipValid: true });
  signInAs(account);
  return { ...account, tenant, company, order, hookId: hook.id };
}

function form(fields: Record<string, string | number>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, String(value));
  return data;
}

const refundForm = (order: Order, amount: string, baseMinor = 0, reason = "") => form({ orderId: order.id, amount, reason, baseMinor });

async function whopPayment(companyKey: string, paymentId: string) {
  const response = await fetch(`${local.current.url}/api/v1/payments/${paymentId}`, { headers: { authorization: `Bearer ${companyKey}` } });
  return (await response.json()) as { refunded_amount: number; substatus: string };
}

const auditOf = (tenantId: string, action: string) =>
  db().select().from(auditLog).where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, action)));

describe("refund from the order page", () => {
  it("a full refund shows as requested, then as refunded once Whop's webhook lands; the audit names who, how much and why", async () => {
    const { tenant, user, order } = await paidOrder();
    const result = await refundOrderAction({}, refundForm(order, "49.00", 0, "Buyer asked by email"));
    expect(result).toEqual({ success: "Refund of $49.00 requested. The order updates when Whop confirms it." });
    expect((await orderRow(order.id)).refundPending).toBe(true);

    const settled = await waitFor(() => orderRow(order.id), (row) => row.status === "refunded");
    expect(settled).toMatchObject({ status: "refunded", refundedMinor: 4900 });
    const [entry] = await auditOf(tenant.id, "order.refund_requested");
    expect(entry).toMatchObject({ actorUserId: user.id, detail: { orderId: order.id, amount: "$49.00", amountMinor: 4900, currency: "usd", reason: "Buyer asked by email", full: true } });
  });

  it("partial refunds add up: partially refunded, then refunded", async () => {
    const { company, order } = await paidOrder();
    expect(await refundOrderAction({}, refundForm(order, "12.50"))).toMatchObject({ success: expect.stringContaining("$12.50") });
    const partial = await waitFor(() => orderRow(order.id), (row) => row.refundedMinor === 1250);
    expect(partial).toMatchObject({ status: "partially_refunded", refundedMinor: 1250 });

    expect(await refundOrderAction({}, refundForm(order, "36.50", 1250))).toMatchObject({ success: expect.stringContaining("$36.50") });
    expect(await waitFor(() => orderRow(order.id), (row) => row.status === "refunded")).toMatchObject({ status: "refunded", refundedMinor: 4900 });
    expect((await whopPayment(company.companyKey, order.whopPaymentId!)).refunded_amount).toBe(49);
  });

  it("refuses more than is left, counting requests Whop has not confirmed yet, and sends nothing", async () => {
    const { tenant, company, order } = await paidOrder();
    const tooMuch = await refundOrderAction({}, refundForm(order, "49.01"));
    expect(tooMuch.fieldErrors).toEqual({ amount: "At most $49.00 can still be refunded." });
    expect((await refundOrderAction({}, refundForm(order, "1.001"))).fieldErrors).toEqual({ amount: "USD amounts have at most 2 decimals." });
    expect((await refundOrderAction({}, refundForm(order, ""))).fieldErrors).toEqual({ amount: "Enter an amount, e.g. 29.99." });
    expect((await whopPayment(company.companyKey, order.whopPaymentId!)).refunded_amount).toBe(0);

    // A request not yet confirmed by Whop still counts against what is left.
    await db().insert(refundRequests).values({ tenantId: tenant.id, id: "rrq_Unconfirmed000000001", orderId: order.id, paymentId: order.whopPaymentId!, amountMinor: 4000, currency: "usd", state: "requested" });
    expect((await refundOrderAction({}, refundForm(order, "10", 4000))).fieldErrors).toEqual({ amount: "At most $9.00 can still be refunded." });
    expect((await whopPayment(company.companyKey, order.whopPaymentId!)).refunded_amount).toBe(0);
    expect(await auditOf(tenant.id, "order.refund_requested")).toHaveLength(0);
  });

  it("a double click refunds once on Whop", async () => {
    const { company, order } = await paidOrder();
    const same = () => refundOrderAction({}, refundForm(order, "10"));
    const results = await Promise.all([same(), same()]);
    for (const result of results) expect(result.success).toBeDefined();
    // And once more after the first one was recorded: recognised as the same request.
    expect(await same()).toEqual({ success: "A refund of $10.00 was already requested from Whop." });

    expect((await whopPayment(company.companyKey, order.whopPaymentId!)).refunded_amount).toBe(10);
    expect(await waitFor(() => orderRow(order.id), (row) => row.refundedMinor === 1000)).toMatchObject({ status: "partially_refunded", refundedMinor: 1000 });
  });

  it("reconciliation confirms a refund whose webhook was lost", async () => {
    const { tenant, company, order, hookId } = await paidOrder();
    // The webhook is gone: Whop refunds, nothing arrives (the merchant disabled it on Whop).
    const disabled = await fetch(`${local.current.url}/api/v1/webhooks/${hookId}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${company.companyKey}`, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    expect(disabled.status).toBe(200);
    await refundOrderAction({}, refundForm(order, "20"));
    // Whop creates the refund pending and settles it a moment later (the sandbox's scaled delay).
    const settled = await waitFor(() => whopPayment(company.companyKey, order.whopPaymentId!), (payment) => payment.refunded_amount === 20);
    expect(settled.refunded_amount).toBe(20);
    // Time enough for a delivery to have landed and been applied, had Whop sent one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await orderRow(order.id)).toMatchObject({ status: "paid", refundPending: true, refundedMinor: 0 });
    expect(await reconcileOrder((await getTenantById(tenant.id))!, order.id)).toEqual({ ok: true, outcome: "applied" });
    expect(await orderRow(order.id)).toMatchObject({ status: "partially_refunded", refundPending: false, refundedMinor: 2000 });
  });

  it("a key without payment:manage gets a message that names it", async () => {
    const { tenant, company, order } = await paidOrder();
    // The same company's key without permissions (a merchant who created a narrower key).
    await db()
      .update(tenants)
      .set({ whopApiKeyCiphertext: encryptSecret(company.restrictedKey, { tenantId: tenant.id, field: "whop_api_key" }, env().encryptionKeys) })
      .where(eq(tenants.id, tenant.id));
    const result = await refundOrderAction({}, refundForm(order, "5"));
    expect(result.error).toContain("payment:manage");
    expect((await orderRow(order.id)).refundPending).toBe(false);
  });
});

describe("cancel the buyer's membership", () => {
  it("immediate: cancellation requested, then the membership ends when the deactivation webhook lands", async () => {
    const { tenant, user, order } = await paidOrder();
    const result = await cancelMembershipAction({}, form({ orderId: order.id, mode: "immediate" }));
    expect(result.success).toMatch(/^Cancellation requested/);
    expect((await orderRow(order.id)).cancelRequestedMode).toBe("immediate");

    const ended = await waitFor(() => orderRow(order.id), (row) => row.membershipValid === false);
    expect(ended).toMatchObject({ membershipValid: false, status: "paid" });
    const [entry] = await auditOf(tenant.id, "order.membership_cancel_requested");
    expect(entry).toMatchObject({ actorUserId: user.id, detail: { orderId: order.id, mode: "immediate", membershipId: order.whopMembershipId } });
    expect(await cancelMembershipAction({}, form({ orderId: order.id, mode: "immediate" }))).toMatchObject({ error: "The membership has already ended." });
  });

  it("at period end keeps the membership valid and records the request", async () => {
    const { order } = await paidOrder();
    expect((await cancelMembershipAction({}, form({ orderId: order.id, mode: "at_period_end" }))).success).toMatch(/end of the current period/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await orderRow(order.id)).toMatchObject({ membershipValid: true, cancelRequestedMode: "at_period_end" });
  });

  it("an unknown mode is a field error", async () => {
    const { order } = await paidOrder();
    expect((await cancelMembershipAction({}, form({ orderId: order.id, mode: "later" }))).fieldErrors).toEqual({ mode: "Choose when the membership ends." });
  });
});

describe("isolation", () => {
  it("another tenant's order id: “That order does not exist.”, and nothing happens on Whop", async () => {
    const victim = await paidOrder();
    await paidOrder(); // signs in as the attacker
    expect(await refundOrderAction({}, refundForm(victim.order, "5"))).toMatchObject({ error: "That order does not exist." });
    expect(await cancelMembershipAction({}, form({ orderId: victim.order.id, mode: "immediate" }))).toMatchObject({ error: "That order does not exist." });
    expect((await whopPayment(victim.company.companyKey, victim.order.whopPaymentId!)).refunded_amount).toBe(0);
    expect(await orderRow(victim.order.id)).toMatchObject({ refundPending: false, cancelRequestedAt: null, membershipValid: true });
    expect(await db().select().from(refundRequests).where(eq(refundRequests.orderId, victim.order.id))).toEqual([]);
  });

  it("signed out, both actions redirect to /login", async () => {
    const { order } = await paidOrder();
    signOut();
    await expectRedirect(() => refundOrderAction({}, refundForm(order, "5")), "/login");
    await expectRedirect(() => cancelMembershipAction({}, form({ orderId: order.id, mode: "immediate" })), "/login");
  });
});
