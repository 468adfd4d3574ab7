import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SEED } from "@/sandbox/state";
import { api, createCheckout, createCompany, registerWebhook, startReceiver, startSandbox, waitFor, type IsolatedCompany, type Receiver, type Sandbox } from "./helpers";

/* The sandbox's after-the-sale endpoints: refunds (payment:manage) and membership cancellation (membership:cancel). */

let sandbox: Sandbox;
const receivers: Receiver[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sandbox.close());

/** A company with a webhook of `apiVersion` and one paid checkout; the pay deliveries already arrived. */
async function paidPurchase(apiVersion: "v1" | "v5" = "v1") {
  const company = await createCompany(sandbox, "After Sale Co");
  const hook = await startReceiver();
  receivers.push(hook);
  await registerWebhook(sandbox, company, hook.url, apiVersion);
  const checkout = await createCheckout(sandbox, company, { metadata: { order_id: "ord_as" } });
  const paid = await api(sandbox, `/_sandbox/checkouts/${checkout.id}/pay`, { body: {} });
  await waitFor(() => hook.received.length >= 2);
  return { company, hook, paymentId: paid.json.id as string, membershipId: (paid.json.membership as { id: string }).id };
}

const refund = (company: IsolatedCompany, paymentId: string, body: unknown, headers: Record<string, string> = {}, key = company.companyKey) =>
  api(sandbox, `/api/v1/payments/${paymentId}/refund`, { key, body, headers });
const cancel = (company: IsolatedCompany, membershipId: string, body: unknown, key = company.companyKey) =>
  api(sandbox, `/api/v1/memberships/${membershipId}/cancel`, { key, body });

describe("POST /api/v1/payments/{id}/refund", () => {
  it("refunds partially then fully, with cumulative refunded_amount in the embedded payment of refund.updated", async () => {
    const { company, hook, paymentId } = await paidPurchase();
    const partial = await refund(company, paymentId, { partial_amount: 10 });
    expect(partial.status).toBe(200);
    expect(partial.json).toMatchObject({ id: paymentId, substatus: "partially_refunded", refunded_amount: 10 });
    const rest = await refund(company, paymentId, {});
    expect(rest.json).toMatchObject({ substatus: "refunded", refunded_amount: 29.99 });

    await waitFor(() => hook.received.filter((r) => r.json.type === "refund.updated").length >= 2);
    const updates = hook.received.filter((r) => r.json.type === "refund.updated").map((r) => (r.json.data as { payment: { refunded_amount: number } }).payment.refunded_amount);
    expect(updates.sort((a, b) => a - b)).toEqual([10, 29.99]);
  });

  it("refunds once for a repeated Idempotency-Key, and refuses more than is left", async () => {
    const { company, paymentId } = await paidPurchase();
    const headers = { "idempotency-key": "refund_ord_as_1000" };
    const first = await refund(company, paymentId, { partial_amount: 10 }, headers);
    const again = await refund(company, paymentId, { partial_amount: 10 }, headers);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const read = await api(sandbox, `/api/v1/payments/${paymentId}`, { key: company.companyKey });
    expect(read.json.refunded_amount).toBe(10);

    const tooMuch = await refund(company, paymentId, { partial_amount: 20 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.json.error.message).toMatch(/at most 19.99/);
  });

  it("needs payment:manage", async () => {
    const { company, paymentId } = await paidPurchase();
    const refused = await refund(company, paymentId, {}, {}, company.restrictedKey);
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain("`payment:manage`");
  });
});

describe("POST /api/v1/memberships/{id}/cancel", () => {
  it("immediate: the membership turns canceled and membership.deactivated is delivered, signed (v1)", async () => {
    const { company, hook, membershipId } = await paidPurchase("v1");
    const canceled = await cancel(company, membershipId, { cancellation_mode: "immediate" });
    expect(canceled.status).toBe(200);
    expect(canceled.json).toMatchObject({ id: membershipId, status: "canceled", canceled_at: expect.any(String) });

    const delivery = await waitFor(() => hook.received.find((r) => r.json.type === "membership.deactivated"));
    expect(delivery.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(delivery.json.data).toMatchObject({ id: membershipId, status: "canceled", metadata: { order_id: "ord_as" } });
    expect((await api(sandbox, `/api/v1/memberships/${membershipId}`, { key: company.companyKey })).json.status).toBe("canceled");

    // Canceling again answers the membership unchanged and sends nothing more.
    expect((await cancel(company, membershipId, { cancellation_mode: "immediate" })).json.status).toBe("canceled");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hook.received.filter((r) => r.json.type === "membership.deactivated")).toHaveLength(1);
  });

  it("immediate with a v5 webhook delivers membership.went_invalid with valid false", async () => {
    const { company, hook, membershipId } = await paidPurchase("v5");
    await cancel(company, membershipId, { cancellation_mode: "immediate" });
    const delivery = await waitFor(() => hook.received.find((r) => r.json.action === "membership.went_invalid"));
    expect(delivery.headers["x-whop-signature"]).toMatch(/^t=\d+,v1=/);
    expect(delivery.json.data).toMatchObject({ id: membershipId, valid: false, status: "canceled" });
  });

  it("at_period_end: flags cancel_at_period_end and sends membership.cancel_at_period_end_changed", async () => {
    const { company, hook, membershipId } = await paidPurchase();
    const flagged = await cancel(company, membershipId, { cancellation_mode: "at_period_end" });
    expect(flagged.json).toMatchObject({ status: "active", cancel_at_period_end: true });
    await waitFor(() => hook.received.find((r) => r.json.type === "membership.cancel_at_period_end_changed"));
  });

  it("needs membership:cancel, a known mode, and the company's own membership", async () => {
    const { company, membershipId } = await paidPurchase();
    const refused = await cancel(company, membershipId, { cancellation_mode: "immediate" }, company.restrictedKey);
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain("`membership:cancel`");
    expect((await cancel(company, membershipId, { cancellation_mode: "tomorrow" })).status).toBe(400);
    const stranger = await createCompany(sandbox, "Stranger Co");
    expect((await cancel(stranger, membershipId, { cancellation_mode: "immediate" })).status).toBe(404);
  });

  it("the seeded demo key holds both after-sale permissions", async () => {
    const missing = await api(sandbox, "/api/v1/memberships/mem_DoesNotExist1/cancel", { key: DEMO_SEED.companyKey, body: { cancellation_mode: "immediate" } });
    expect(missing.status).toBe(404);
    const missingPayment = await api(sandbox, "/api/v1/payments/pay_DoesNotExist1/refund", { key: DEMO_SEED.companyKey, body: {} });
    expect(missingPayment.status).toBe(404);
  });
});
