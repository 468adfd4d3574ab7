import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { ledgerDisputes, ledgerPayments, ledgerRefunds, orders, webhookEvents, type Order, type Tenant } from "@/db/schema";
import { randomBase62 } from "@/lib/ids";
import { connectedMerchant, fixtureItem, fixtureOrder, signStandard, withWebhookSecret } from "../fixtures";
import { postToWebhookRoute } from "../webhook-route";

/*
 * Deliveries in the exact shapes of Whop's v1 SDK types: a Payment, a Refund (whose embedded
 * payment has no status, substatus or refunded_amount), a Dispute (whose embedded payment carries
 * no metadata), a Membership (no `valid`, no `expires_at`).
 */

export async function merchantWithOrder(orderOverrides: Partial<Order> = {}, itemPriceMinor = 4000) {
  const connected = await connectedMerchant();
  const { tenant, secret } = await withWebhookSecret(connected.tenant);
  const item = await fixtureItem(tenant, { priceMinor: itemPriceMinor, currency: "usd" });
  const order = await fixtureOrder(tenant, item, orderOverrides);
  return { tenant, secret, item, order, user: connected.user, actor: { ...connected.actor, tenant } };
}

export function deliver(tenant: Pick<Tenant, "publicId">, body: string | Uint8Array, headers: Record<string, string>, path = "") {
  return postToWebhookRoute(new Request(`http://localhost/api/webhooks/whop/${tenant.publicId}${path}`, { method: "POST", body: body as BodyInit, headers: { "content-type": "application/json", ...headers } }), tenant.publicId);
}

/**
 * Signs (Standard Webhooks, a fresh `webhook-id`) and delivers; answers the status and JSON, and
 * the event's row as the ledger work after the answer left it (`event.result`: what applying did).
 */
export async function send(m: { tenant: Tenant; secret: string }, body: string) {
  const headers = signStandard(m.secret, body);
  const response = await deliver(m.tenant, body, headers);
  const [event] = await db()
    .select({ result: webhookEvents.result, detail: webhookEvents.detail, appliedAt: webhookEvents.appliedAt })
    .from(webhookEvents)
    .where(and(eq(webhookEvents.tenantId, m.tenant.id), eq(webhookEvents.eventKey, headers["webhook-id"]!)));
  return { status: response.status, body: (await response.json()) as { result?: string; error?: string }, event };
}

export function envelope(type: string, data: Record<string, unknown>, id = `msg_${randomBase62(24)}`) {
  return JSON.stringify({ id, api_version: "v1", timestamp: new Date().toISOString(), type, company_id: "biz_x", data });
}

export function paymentId(order: Order) {
  return `pay_${order.id.slice(4, 18)}`;
}

export function membershipId(order: Order) {
  return `mem_${order.id.slice(4, 18)}`;
}

/** A v1 Payment (decimal major units). */
export function paymentData(order: Order, overrides: Record<string, unknown> = {}) {
  return {
    id: paymentId(order),
    status: "paid",
    substatus: "succeeded",
    total: 40,
    subtotal: 40,
    usd_total: 40,
    refunded_amount: 0,
    amount_after_fees: 38.5,
    currency: "usd",
    billing_reason: "one_time",
    paid_at: new Date().toISOString(),
    checkout_configuration_id: order.whopCheckoutId,
    plan: { id: order.whopPlanId },
    product: { id: "prod_Product00001", title: "Course" },
    membership: { id: membershipId(order), status: "active" },
    user: { id: "user_Buyer0000001", username: "buyer", name: "Buyer", email: "buyer@example.com" },
    company: { id: "biz_x" },
    metadata: { order_id: order.id, tenant_id: order.tenantId },
    ...overrides,
  };
}

/** The payment as a Refund embeds it: no status, substatus or refunded_amount. */
export function embeddedPayment(order: Order) {
  const { status: _s, substatus: _ss, refunded_amount: _r, ...rest } = paymentData(order);
  return rest;
}

export function refundData(order: Order, id: string, amount: number, status: string) {
  return { id, amount, currency: "usd", status, created_at: new Date().toISOString(), payment: embeddedPayment(order) };
}

/** A Dispute: its payment carries no metadata. */
export function disputeData(order: Order, id: string, status: string, amount = 40) {
  return { id, status, amount, currency: "usd", reason: "fraudulent", needs_response_by: new Date(Date.now() + 7 * 86_400_000).toISOString(), payment: { id: paymentId(order), total: 40, currency: "usd" } };
}

export function membershipData(order: Order, overrides: Record<string, unknown> = {}) {
  return {
    id: membershipId(order),
    status: "active",
    plan: { id: order.whopPlanId },
    product: { id: "prod_Product00001" },
    user: { id: "user_Buyer0000001", email: "buyer@example.com" },
    company: { id: "biz_x" },
    license_key: null,
    renewal_period_start: null,
    renewal_period_end: null,
    cancel_at_period_end: false,
    canceled_at: null,
    checkout_configuration_id: order.whopCheckoutId,
    metadata: { order_id: order.id, tenant_id: order.tenantId },
    ...overrides,
  };
}

export async function orderNow(order: Order) {
  const [row] = await db().select().from(orders).where(eq(orders.id, order.id));
  return row!;
}

export async function ledgerOf(tenant: Tenant) {
  const [payments, refunds, disputes] = await Promise.all([
    db().select().from(ledgerPayments).where(eq(ledgerPayments.tenantId, tenant.id)),
    db().select().from(ledgerRefunds).where(eq(ledgerRefunds.tenantId, tenant.id)),
    db().select().from(ledgerDisputes).where(eq(ledgerDisputes.tenantId, tenant.id)),
  ]);
  return { payments, refunds, disputes };
}

export async function eventsOf(tenant: Tenant) {
  return db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenant.id));
}
