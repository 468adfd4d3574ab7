import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  control,
  createCompany,
  deliveriesOf,
  paidPurchase,
  startSandbox,
  waitFor,
  type IsolatedCompany,
  type Receiver,
  type Sandbox,
} from "./helpers";

/* Resource shapes: license keys only with Software Licensing, billing_reason, the v1 membership, Idempotency-Key scope. */

let sandbox: Sandbox;
const receivers: Receiver[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sandbox.close());

const renewalPlan = { plan_type: "renewal", initial_price: 0, renewal_price: 12, billing_period: 30, title: "Monthly" };

async function productOf(company: IsolatedCompany, paymentId: string): Promise<string> {
  return (await api(sandbox, `/api/v1/payments/${paymentId}`, { key: company.companyKey })).json.product.id as string;
}

describe("license_key", () => {
  it("is null on memberships of a product without Software Licensing (the default)", async () => {
    const { company, hook, membershipId } = await paidPurchase(sandbox, receivers);
    expect((deliveriesOf(hook, "membership.activated")[0]!.json.data as { license_key: unknown }).license_key).toBeNull();
    expect((await api(sandbox, `/api/v1/memberships/${membershipId}`, { key: company.companyKey })).json.license_key).toBeNull();
  });

  it("is set once the product is marked licensed through /_sandbox/products/{id}/licensing, in v1 and v5", async () => {
    const { company, paymentId } = await paidPurchase(sandbox, receivers);
    const productId = await productOf(company, paymentId);
    const marked = await control(sandbox, `/products/${productId}/licensing`);
    expect(marked.json).toEqual({ product_id: productId, licensing: true });

    const v1 = await paidPurchase(sandbox, receivers, { company });
    const key = (deliveriesOf(v1.hook, "membership.activated")[0]!.json.data as { license_key: string }).license_key;
    expect(key).toMatch(/^[0-9A-Z]{6}(-[0-9A-Z]{6}){3}$/);
    expect((await api(sandbox, `/api/v1/memberships/${v1.membershipId}`, { key: company.companyKey })).json.license_key).toBe(key);
    const v5 = await paidPurchase(sandbox, receivers, { company, apiVersion: "v5" });
    expect((deliveriesOf(v5.hook, "membership.went_valid")[0]!.json.data as { license_key: string }).license_key).toMatch(/^[0-9A-Z]{6}-/);

    expect((await control(sandbox, `/products/${productId}/licensing`, { enabled: false })).json.licensing).toBe(false);
    const off = await paidPurchase(sandbox, receivers, { company });
    expect((deliveriesOf(off.hook, "membership.activated")[0]!.json.data as { license_key: unknown }).license_key).toBeNull();
    expect((await control(sandbox, "/products/prod_DoesNotExist/licensing")).status).toBe(404);
    expect((await control(sandbox, `/products/${productId}/licensing`, { enabled: "yes" })).status).toBe(400);
  });

  it("is set for every product of a company created with licensing: true", async () => {
    const created = await control(sandbox, "/companies", { title: "Licensed Co", licensing: true });
    expect(created.json.licensing).toBe(true);
    const { company, membershipId } = await paidPurchase(sandbox, receivers, { company: created.json as IsolatedCompany });
    expect((await api(sandbox, `/api/v1/memberships/${membershipId}`, { key: company.companyKey })).json.license_key).toMatch(/^[0-9A-Z]{6}-/);
  });
});

describe("billing_reason", () => {
  it("is one_time for a one-time plan and subscription_create for a renewal plan's first payment; payments filter on it", async () => {
    const { company, hook, paymentId } = await paidPurchase(sandbox, receivers);
    expect((deliveriesOf(hook, "payment.succeeded")[0]!.json.data as { billing_reason: string }).billing_reason).toBe("one_time");
    const sub = await paidPurchase(sandbox, receivers, { company, checkout: { plan: renewalPlan } });
    const data = deliveriesOf(sub.hook, "payment.succeeded")[0]!.json.data as { billing_reason: string; total: number };
    expect(data).toMatchObject({ billing_reason: "subscription_create", total: 12 });
    const list = async (reason: string) =>
      (await api(sandbox, `/api/v1/payments?company_id=${company.companyId}&billing_reasons[]=${reason}`, { key: company.companyKey })).json.data.map((p: { id: string }) => p.id);
    expect(await list("one_time")).toEqual([paymentId]);
    expect(await list("subscription_create")).toEqual([sub.paymentId]);
  });
});

describe("v1 membership events", () => {
  it("carry the v1 Membership: no valid or expires_at; renewal period, cancellation fields, checkout id and metadata", async () => {
    const company = await createCompany(sandbox, "Members Co");
    const one = await paidPurchase(sandbox, receivers, { company });
    const oneTime = deliveriesOf(one.hook, "membership.activated")[0]!.json.data as Record<string, unknown>;
    for (const absent of ["valid", "expires_at"]) expect(oneTime).not.toHaveProperty(absent);
    expect(oneTime).toMatchObject({
      status: "active",
      renewal_period_start: null,
      renewal_period_end: null,
      cancel_at_period_end: false,
      canceled_at: null,
      checkout_configuration_id: expect.stringMatching(/^ch_/),
      metadata: { order_id: "ord_as" },
      license_key: null,
    });

    const sub = await paidPurchase(sandbox, receivers, { company, checkout: { plan: renewalPlan, metadata: { order_id: "ord_sub" } } });
    const renewal = deliveriesOf(sub.hook, "membership.activated")[0]!.json.data as Record<string, string>;
    for (const absent of ["valid", "expires_at"]) expect(renewal).not.toHaveProperty(absent);
    expect(renewal).toMatchObject({ metadata: { order_id: "ord_sub" }, cancel_at_period_end: false, canceled_at: null });
    expect(Date.parse(renewal.renewal_period_end!) - Date.parse(renewal.renewal_period_start!)).toBe(30 * 86_400_000);

    await api(sandbox, `/api/v1/memberships/${sub.membershipId}/cancel`, { key: company.companyKey, body: { cancellation_mode: "at_period_end" } });
    const flagged = await waitFor(() => deliveriesOf(sub.hook, "membership.cancel_at_period_end_changed")[0]);
    expect(flagged.json.data).toMatchObject({ cancel_at_period_end: true, renewal_period_end: renewal.renewal_period_end });
    expect(flagged.json.data).not.toHaveProperty("valid");
  });

  it("v5 membership payloads keep valid and expires_at", async () => {
    const sub = await paidPurchase(sandbox, receivers, { apiVersion: "v5", checkout: { plan: renewalPlan } });
    const data = deliveriesOf(sub.hook, "membership.went_valid")[0]!.json.data as Record<string, unknown>;
    expect(data).toMatchObject({ valid: true, expires_at: expect.any(Number) });
  });
});

describe("Idempotency-Key scope", () => {
  it("is honoured on product, plan and checkout creates only: not on webhook creates", async () => {
    const company = await createCompany(sandbox, "Idem Co");
    const headers = { "idempotency-key": "same_key" };
    const product = { company_id: company.companyId, title: "Course" };
    const p1 = await api(sandbox, "/api/v1/products", { key: company.companyKey, body: product, headers });
    const p2 = await api(sandbox, "/api/v1/products", { key: company.companyKey, body: product, headers });
    expect(p2.json.id).toBe(p1.json.id);
    expect(p2.headers.get("idempotent-replayed")).toBe("true");
    const hook = { url: "https://x.example/h", resource_id: company.companyId };
    const h1 = await api(sandbox, "/api/v1/webhooks", { key: company.companyKey, body: hook, headers: { "idempotency-key": "hook_key" } });
    const h2 = await api(sandbox, "/api/v1/webhooks", { key: company.companyKey, body: hook, headers: { "idempotency-key": "hook_key" } });
    expect(h2.json.id).not.toBe(h1.json.id);
    expect(h2.headers.get("idempotent-replayed")).toBeNull();
  });
});
