import { and, eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { auditLog } from "@/db/schema";
import { env } from "@/lib/env";
import { availableSubscriptionActions, requestSubscriptionAction } from "@/lib/subscriptions/actions";
import { withTestDatabase } from "../db";
import { envelope, membershipData, membershipId, merchantWithOrder, orderNow, send } from "../ledger/helpers";

withTestDatabase();

/*
 * Cancel at period end, Cancel now and Resume from the order page: reserved first, then one call
 * to Whop (never retried); shown as requested until Whop's membership event confirms it.
 */

const ORIGIN = env().whopApiOrigin;
const calls: { path: string; body: unknown }[] = [];
type Answer = { status: number; body: Record<string, unknown> } | "network";
let answer: (path: string) => Answer = () => ({ status: 200, body: {} });
let readBack: () => Answer = () => ({ status: 200, body: {} });
const reply = (a: Answer) => (a === "network" ? HttpResponse.error() : HttpResponse.json(a.body, { status: a.status }));
const server = setupServer(
  http.post(`${ORIGIN}/api/v1/memberships/:id/:verb`, async ({ request }) => {
    const path = new URL(request.url).pathname;
    calls.push({ path, body: await request.json() });
    return reply(answer(path));
  }),
  http.get(`${ORIGIN}/api/v1/memberships/:id`, () => reply(readBack())),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  calls.length = 0;
});
afterAll(() => server.close());

const membershipJson = (id: string, extra: Record<string, unknown> = {}) => ({ id, status: "active", cancel_at_period_end: false, renewal_period_end: null, metadata: {}, ...extra });

/** A monthly subscription whose activation Whop reported. */
async function activeSubscription() {
  const m = await merchantWithOrder({ billingPeriodDays: 30, amountMinor: 4000 });
  const periodEnd = new Date(Date.now() + 20 * 86_400_000).toISOString();
  await send(m, envelope("membership.activated", membershipData(m.order, { renewal_period_end: periodEnd })));
  const order = await orderNow(m.order);
  expect(order.subscriptionState).toBe("active");
  answer = (path) => ({ status: 200, body: membershipJson(membershipId(order), path.endsWith("/cancel") ? { cancel_at_period_end: true } : {}) });
  return { ...m, order, periodEnd };
}

const audits = async (tenantId: string) => (await db().select({ action: auditLog.action, detail: auditLog.detail }).from(auditLog).where(eq(auditLog.tenantId, tenantId))).filter((a) => a.action.startsWith("subscription."));

describe("Cancel at period end", () => {
  it("reserves, asks Whop once, shows it requested, and a second post sends nothing; Whop's event confirms it", async () => {
    const m = await activeSubscription();
    expect(availableSubscriptionActions(m.order)).toEqual(["cancel_at_period_end", "cancel_now"]);
    const first = await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "cancel_at_period_end" });
    expect(first).toMatchObject({ ok: true, message: expect.stringContaining("access ends when the current period ends") });
    expect(calls).toEqual([{ path: `/api/v1/memberships/${membershipId(m.order)}/cancel`, body: { cancellation_mode: "at_period_end" } }]);
    expect(await orderNow(m.order)).toMatchObject({ subscriptionAction: "cancel_at_period_end", subscriptionActionState: "requested", subscriptionState: "active" });

    const again = await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "cancel_at_period_end" });
    expect(again).toMatchObject({ ok: true, message: expect.stringContaining("already asked of Whop") });
    const other = await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "cancel_now" });
    expect(other).toMatchObject({ ok: false, message: expect.stringContaining("has not confirmed it yet") });
    expect(calls).toHaveLength(1);
    expect(await audits(m.tenant.id)).toEqual([{ action: "subscription.cancel_at_period_end_requested", detail: { orderId: m.order.id, membershipId: membershipId(m.order) } }]);

    await send(m, envelope("membership.cancel_at_period_end_changed", membershipData(m.order, { cancel_at_period_end: true, renewal_period_end: m.periodEnd })));
    const confirmed = await orderNow(m.order);
    expect(confirmed).toMatchObject({ subscriptionState: "canceling", cancelAtPeriodEnd: true, subscriptionAction: null, subscriptionActionState: null });
    expect(availableSubscriptionActions(confirmed)).toEqual(["resume", "cancel_now"]);
  });

  it("two posts at once reach Whop once", async () => {
    const m = await activeSubscription();
    const results = await Promise.all([1, 2, 3].map(() => requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "cancel_at_period_end" })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(calls).toHaveLength(1);
  });
});

describe("Resume and Cancel now", () => {
  it("Resume a canceling subscription: one /uncancel, then active again once Whop says so", async () => {
    const m = await activeSubscription();
    await send(m, envelope("membership.cancel_at_period_end_changed", membershipData(m.order, { cancel_at_period_end: true, renewal_period_end: m.periodEnd })));
    expect((await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "resume" })).ok).toBe(true);
    expect(calls).toEqual([{ path: `/api/v1/memberships/${membershipId(m.order)}/uncancel`, body: {} }]);
    await send(m, envelope("membership.cancel_at_period_end_changed", membershipData(m.order, { cancel_at_period_end: false, renewal_period_end: m.periodEnd })));
    expect(await orderNow(m.order)).toMatchObject({ subscriptionState: "active", cancelAtPeriodEnd: false, subscriptionAction: null });
  });

  it("Cancel now: immediate; the deactivation ends it and access", async () => {
    const m = await activeSubscription();
    expect((await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "cancel_now" })).ok).toBe(true);
    expect(calls[0]!.body).toEqual({ cancellation_mode: "immediate" });
    await send(m, envelope("membership.deactivated", membershipData(m.order, { status: "canceled", canceled_at: new Date().toISOString() })));
    const ended = await orderNow(m.order);
    expect(ended).toMatchObject({ subscriptionState: "canceled", membershipValid: false, subscriptionAction: null });
    expect(availableSubscriptionActions(ended)).toEqual([]);
    expect(await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "resume" })).toEqual({ ok: false, message: "This subscription has already ended." });
  });
});

describe("when Whop refuses or does not answer", () => {
  it("a refusal is final, says why and releases the reservation", async () => {
    const m = await activeSubscription();
    answer = () => ({ status: 403, body: { error: { type: "forbidden", message: "Actor is missing all required permissions: `membership:cancel`" } } });
    const result = await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "cancel_now" });
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining("membership:cancel") });
    expect(await orderNow(m.order)).toMatchObject({ subscriptionAction: null, subscriptionActionState: null });
  });

  it("after a 500 the membership is read back: showing the change it is requested; unchanged, nothing was done; unreadable, it stays requested as unknown", async () => {
    const m = await activeSubscription();
    answer = () => ({ status: 500, body: { error: { message: "boom" } } });
    readBack = () => ({ status: 200, body: membershipJson(membershipId(m.order), { cancel_at_period_end: true }) });
    expect(await requestSubscriptionAction(m.actor, { orderId: m.order.id, action: "cancel_at_period_end" })).toMatchObject({ ok: true });
    expect(calls).toHaveLength(1);
    expect((await orderNow(m.order)).subscriptionActionState).toBe("requested");

    const n = await activeSubscription();
    answer = () => ({ status: 500, body: { error: { message: "boom" } } });
    readBack = () => ({ status: 200, body: membershipJson(membershipId(n.order)) });
    expect(await requestSubscriptionAction(n.actor, { orderId: n.order.id, action: "cancel_at_period_end" })).toMatchObject({ ok: false, message: expect.stringContaining("nothing was done") });
    expect((await orderNow(n.order)).subscriptionAction).toBeNull();

    answer = () => ({ status: 500, body: { error: { message: "boom" } } });
    readBack = () => ({ status: 500, body: { error: { message: "still down" } } });
    expect(await requestSubscriptionAction(n.actor, { orderId: n.order.id, action: "cancel_now" })).toMatchObject({ ok: false, message: expect.stringContaining("shows it as requested") });
    expect(await orderNow(n.order)).toMatchObject({ subscriptionAction: "cancel_now", subscriptionActionState: "unknown" });
  });

  it("refuses a one-time order and another tenant's order before Whop is asked", async () => {
    const oneTime = await merchantWithOrder({ whopMembershipId: "mem_OneTime0000001" });
    expect(await requestSubscriptionAction(oneTime.actor, { orderId: oneTime.order.id, action: "cancel_now" })).toEqual({ ok: false, message: "This order is a one-time purchase, not a subscription." });
    const m = await activeSubscription();
    expect(await requestSubscriptionAction(oneTime.actor, { orderId: m.order.id, action: "cancel_now" })).toEqual({ ok: false, message: "That order does not exist." });
    expect(calls).toEqual([]);
    expect(await db().select().from(auditLog).where(and(eq(auditLog.tenantId, oneTime.tenant.id), eq(auditLog.action, "subscription.cancel_now_requested")))).toEqual([]);
  });
});
