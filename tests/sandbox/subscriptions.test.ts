import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, control, createCheckout, createCompany, deliveriesOf, registerWebhook, startReceiver, startSandbox, submitCheckout, undatedCheckoutBody, waitFor, type Receiver, type Sandbox } from "./helpers";

/* Renewal plans in the sandbox: accepted as strictly as Whop documents them, and played over time by the controls. */

let sandbox: Sandbox;
const receivers: Receiver[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sandbox.close());

const renewalPlan = (extra: Record<string, unknown> = {}) => ({ plan_type: "renewal", initial_price: 0, renewal_price: 9.99, billing_period: 30, ...extra });
const datedRenewal = (extra: Record<string, unknown> = {}) => ({
  plan: { currency: "usd", title: "Monthly club", visibility: "hidden", force_create_new_plan: true, metadata: { order_id: "ord_sub", tenant_id: "ten_sub" }, ...renewalPlan(extra) },
  metadata: { order_id: "ord_sub", tenant_id: "ten_sub" },
  redirect_url: "https://app.example/pay/club/done?order=ord_sub",
});
const DATED = { "api-version-date": "2026-07-20" };

async function subscription(extra: Record<string, unknown> = {}) {
  const company = await createCompany(sandbox, "Club Co");
  const hook = await startReceiver();
  receivers.push(hook);
  await registerWebhook(sandbox, company, hook.url);
  const created = await api(sandbox, "/api/v1/checkout_configurations", { key: company.companyKey, body: datedRenewal(extra), headers: DATED });
  expect(created.status).toBe(200);
  return { company, hook, checkout: created.json as { id: string; purchase_url: string; plan: Record<string, unknown> } };
}

describe("renewal plans", () => {
  it("takes an inline renewal plan in the dated shape and answers it with its billing terms", async () => {
    const { checkout } = await subscription({ trial_period_days: 7 });
    expect(checkout.plan).toMatchObject({ plan_type: "renewal", initial_price: 0, renewal_price: 9.99, billing_period: 30, trial_period_days: 7 });
  });

  it("refuses a renewal plan without a renewal price, with a zero one, or with a zero billing period, like Whop", async () => {
    const company = await createCompany(sandbox);
    const post = (plan: Record<string, unknown>) => api(sandbox, "/api/v1/checkout_configurations", { key: company.companyKey, body: undatedCheckoutBody(company.companyId, { plan }) });
    const answers = await Promise.all([
      post({ plan_type: "renewal", initial_price: 0, renewal_price: undefined, billing_period: 30 }),
      post({ plan_type: "renewal", initial_price: 0, renewal_price: 0, billing_period: 30 }),
      post({ plan_type: "renewal", initial_price: 0, renewal_price: 5, billing_period: 0 }),
      post({ plan_type: "renewal", initial_price: 0, renewal_price: 5, billing_period: 30, trial_period_days: 2.5 }),
      post({ plan_type: "monthly", initial_price: 5 }),
    ]);
    expect(answers.map((a) => [a.status, a.json.error.message])).toEqual([
      [400, "Missing required parameter: plan.renewal_price"],
      [400, expect.stringContaining("plan.renewal_price")],
      [400, expect.stringContaining("plan.billing_period")],
      [400, expect.stringContaining("plan.trial_period_days")],
      [400, expect.stringContaining("plan.plan_type")],
    ]);
  });

  it("without a trial, paying charges the renewal price (subscription_create) and starts a 30-day period; the plan's metadata reaches both webhooks", async () => {
    const { hook, checkout } = await subscription();
    expect((await submitCheckout(checkout.purchase_url, "pay")).status).toBe(303);
    const paid = await waitFor(() => deliveriesOf(hook, "payment.succeeded")[0]);
    const activated = await waitFor(() => deliveriesOf(hook, "membership.activated")[0]);
    const payment = paid.json.data as Record<string, unknown>;
    const membership = activated.json.data as Record<string, string>;
    expect(payment).toMatchObject({ total: 9.99, subtotal: 9.99, billing_reason: "subscription_create", metadata: { order_id: "ord_sub", tenant_id: "ten_sub" } });
    expect(membership).toMatchObject({ status: "active", cancel_at_period_end: false, metadata: { order_id: "ord_sub" } });
    const days = (Date.parse(membership.renewal_period_end!) - Date.parse(membership.renewal_period_start!)) / 86_400_000;
    expect(days).toBe(30);
  });

  it("with a trial, paying charges nothing and the membership is trialing until the trial ends", async () => {
    const { hook, checkout } = await subscription({ trial_period_days: 7 });
    expect((await submitCheckout(checkout.purchase_url, "pay")).status).toBe(303);
    const activated = await waitFor(() => deliveriesOf(hook, "membership.activated")[0]);
    const membership = activated.json.data as Record<string, string>;
    expect(membership.status).toBe("trialing");
    expect((Date.parse(membership.renewal_period_end!) - Date.parse(membership.renewal_period_start!)) / 86_400_000).toBe(7);
    expect(deliveriesOf(hook, "payment.succeeded")).toHaveLength(0);
    // The session is used: a second Pay is refused.
    expect((await submitCheckout(checkout.purchase_url, "pay")).status).toBe(409);
  });
});

describe("the subscription controls", () => {
  async function trialing() {
    const made = await subscription({ trial_period_days: 7 });
    const paid = await control(sandbox, `/checkouts/${made.checkout.id}/pay`);
    expect(paid.json).toMatchObject({ status: "trialing" });
    await waitFor(() => deliveriesOf(made.hook, "membership.activated")[0]);
    return { ...made, membershipId: paid.json.id as string };
  }

  it("end a trial: trial_ending_soon, then the first charge as a subscription_cycle payment, and the membership active for a period", async () => {
    const { hook, membershipId, company } = await trialing();
    const charged = await control(sandbox, `/memberships/${membershipId}/end-trial`);
    expect(charged.status).toBe(200);
    expect(charged.json).toMatchObject({ status: "paid", billing_reason: "subscription_cycle", total: 9.99, membership: { id: membershipId, status: "active" }, metadata: { order_id: "ord_sub" } });
    await waitFor(() => deliveriesOf(hook, "membership.updated")[0]);
    expect(deliveriesOf(hook, "membership.trial_ending_soon")).toHaveLength(1);
    expect(deliveriesOf(hook, "payment.succeeded")).toHaveLength(1);
    const read = await api(sandbox, `/api/v1/memberships/${membershipId}`, { key: company.companyKey });
    expect(read.json.status).toBe("active");
    expect((await control(sandbox, `/memberships/${membershipId}/end-trial`)).status).toBe(400);
  });

  it("fail a renewal: payment.failed and past_due; renew now: a succeeded renewal makes it active again (membership.activated)", async () => {
    const { hook, membershipId } = await trialing();
    const failed = await control(sandbox, `/memberships/${membershipId}/fail-renewal`);
    expect(failed.json).toMatchObject({ status: "open", substatus: "failed", billing_reason: "subscription_cycle", membership: { status: "past_due" } });
    const updated = await waitFor(() => deliveriesOf(hook, "membership.updated")[0]);
    expect((updated.json.data as Record<string, unknown>).status).toBe("past_due");
    const renewed = await control(sandbox, `/memberships/${membershipId}/renew`);
    expect(renewed.json).toMatchObject({ status: "paid", billing_reason: "subscription_cycle", membership: { status: "active" } });
    await waitFor(() => deliveriesOf(hook, "membership.activated").length === 2);
  });

  it("cancel at period end, uncancel, cancel again, then reach the period end: canceled (membership.deactivated)", async () => {
    const { hook, membershipId, company } = await trialing();
    const cancel = await api(sandbox, `/api/v1/memberships/${membershipId}/cancel`, { key: company.companyKey, body: { cancellation_mode: "at_period_end" } });
    expect(cancel.json).toMatchObject({ cancel_at_period_end: true, status: "trialing" });
    expect((await control(sandbox, `/memberships/${membershipId}/renew`)).status).toBe(400);
    const uncancel = await api(sandbox, `/api/v1/memberships/${membershipId}/uncancel`, { key: company.companyKey, body: {} });
    expect(uncancel.json).toMatchObject({ cancel_at_period_end: false });
    await api(sandbox, `/api/v1/memberships/${membershipId}/cancel`, { key: company.companyKey, body: { cancellation_mode: "at_period_end" } });
    await waitFor(() => deliveriesOf(hook, "membership.cancel_at_period_end_changed").length === 3);

    const ended = await control(sandbox, `/memberships/${membershipId}/period-end`);
    expect(ended.json).toMatchObject({ status: "canceled", cancel_at_period_end: true });
    const deactivated = await waitFor(() => deliveriesOf(hook, "membership.deactivated")[0]);
    expect((deactivated.json.data as Record<string, unknown>).status).toBe("canceled");
    const again = await api(sandbox, `/api/v1/memberships/${membershipId}/uncancel`, { key: company.companyKey, body: {} });
    expect(again.status).toBe(400);
  });

  it("refuses the controls on a one-time membership and the period end of a membership that renews", async () => {
    const company = await createCompany(sandbox);
    const checkout = await createCheckout(sandbox, company);
    const paid = await control(sandbox, `/checkouts/${checkout.id}/pay`);
    const oneTime = (paid.json.membership as { id: string }).id;
    expect((await control(sandbox, `/memberships/${oneTime}/renew`)).json.error.message).toContain("not a subscription");
    const { membershipId } = await trialing();
    expect((await control(sandbox, `/memberships/${membershipId}/period-end`)).status).toBe(400);
    expect((await control(sandbox, "/memberships/mem_nope/renew")).status).toBe(404);
  });
});
