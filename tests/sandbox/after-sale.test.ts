import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { REFUND_SETTLE_DELAY_MS } from "@/sandbox/after-sale";
import { DEMO_SEED } from "@/sandbox/state";
import {
  api,
  control,
  deliveriesOf,
  paidPurchase as purchase,
  sleep,
  startSandbox,
  waitFor,
  createCompany,
  type IsolatedCompany,
  type Receiver,
  type Sandbox,
} from "./helpers";

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

const paidPurchase = (apiVersion: "v1" | "v5" = "v1") => purchase(sandbox, receivers, { apiVersion });

const refund = (company: IsolatedCompany, paymentId: string, body: unknown, headers: Record<string, string> = {}, key = company.companyKey) =>
  api(sandbox, `/api/v1/payments/${paymentId}/refund`, { key, body, headers });
const cancel = (company: IsolatedCompany, membershipId: string, body: unknown, key = company.companyKey) =>
  api(sandbox, `/api/v1/memberships/${membershipId}/cancel`, { key, body });
const readPayment = async (company: IsolatedCompany, paymentId: string) =>
  (await api(sandbox, `/api/v1/payments/${paymentId}`, { key: company.companyKey })).json as { refunded_amount: number; substatus: string; refundable: boolean };

describe("POST /api/v1/payments/{id}/refund", () => {
  it("creates a pending refund (refund.created), which succeeds later (refund.updated); the payment counts it only then", async () => {
    const { company, hook, paymentId } = await paidPurchase();
    const partial = await refund(company, paymentId, { partial_amount: 10 });
    expect(partial.status).toBe(200);
    // The answer is the Payment, read before the refund settled.
    expect(partial.json).toMatchObject({ id: paymentId, status: "paid", substatus: "succeeded", refunded_amount: 0, refundable: true });
    expect(partial.json.refunds).toEqual([{ id: expect.stringMatching(/^rfnd_[0-9A-Za-z]{14}$/), amount: 10, currency: "usd", status: "pending", created_at: expect.any(String) }]);

    const created = await waitFor(() => deliveriesOf(hook, "refund.created")[0]);
    const data = created.json.data as Record<string, unknown> & { payment: Record<string, unknown> };
    expect(data).toMatchObject({ id: partial.json.refunds[0].id, amount: 10, currency: "usd", status: "pending", created_at: expect.any(String) });
    expect(data.payment).toMatchObject({ id: paymentId, total: 29.99, subtotal: 29.99, usd_total: 29.99, currency: "usd", metadata: { order_id: "ord_as" }, plan: { id: expect.any(String) } });
    for (const absent of ["status", "substatus", "refunded_amount"]) expect(data.payment).not.toHaveProperty(absent);

    const updated = await waitFor(() => deliveriesOf(hook, "refund.updated")[0]);
    expect(updated.json.data).toMatchObject({ id: data.id, status: "succeeded", payment: { id: paymentId } });
    expect((updated.json.data as { payment: object }).payment).not.toHaveProperty("refunded_amount");
    expect(await readPayment(company, paymentId)).toMatchObject({ substatus: "partially_refunded", refunded_amount: 10 });

    await refund(company, paymentId, {});
    await waitFor(() => deliveriesOf(hook, "refund.updated").length >= 2);
    expect(await readPayment(company, paymentId)).toMatchObject({ substatus: "refunded", refunded_amount: 29.99, refundable: false });
  });

  it("settles after REFUND_SETTLE_DELAY_MS on the sandbox's time scale, pending until then", async () => {
    const slow = await startSandbox({ timeScale: 0.02 }); // 5 s × 0.02 = 100 ms
    const local: Receiver[] = [];
    try {
      const { company, hook, paymentId } = await purchase(slow, local);
      const started = Date.now();
      await api(slow, `/api/v1/payments/${paymentId}/refund`, { key: company.companyKey, body: { partial_amount: 5 } });
      const refundId = (await waitFor(() => deliveriesOf(hook, "refund.created")[0])).json.data as { id: string };
      expect((await api(slow, `/api/v1/refunds/${refundId.id}`, { key: company.companyKey })).json.status).toBe("pending");
      expect((await api(slow, `/api/v1/payments/${paymentId}`, { key: company.companyKey })).json.refunded_amount).toBe(0);
      await waitFor(() => deliveriesOf(hook, "refund.updated")[0]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(REFUND_SETTLE_DELAY_MS * 0.02 - 10);
      expect((await api(slow, `/api/v1/refunds/${refundId.id}`, { key: company.companyKey })).json.status).toBe("succeeded");
    } finally {
      await Promise.all(local.map((r) => r.close()));
      await slow.close();
    }
  });

  it("does not honour Idempotency-Key: two POSTs are two refunds", async () => {
    const { company, hook, paymentId } = await paidPurchase();
    const headers = { "idempotency-key": "refund_ord_as_1000" };
    const first = await refund(company, paymentId, { partial_amount: 10 }, headers);
    const again = await refund(company, paymentId, { partial_amount: 10 }, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(again.json.refunds).toHaveLength(2);
    expect(first.json.refunds).toHaveLength(1);
    await waitFor(() => deliveriesOf(hook, "refund.updated").length >= 2);
    expect((await readPayment(company, paymentId)).refunded_amount).toBe(20);
  });

  it("refuses more than is left, counting refunds still pending", async () => {
    const { company, paymentId } = await paidPurchase();
    expect((await control(sandbox, `/payments/${paymentId}/refund`, { amount: 10, settle: "hold" })).status).toBe(200);
    const tooMuch = await refund(company, paymentId, { partial_amount: 20 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.json.error.message).toMatch(/at most 19.99/);
    expect((await refund(company, paymentId, { partial_amount: 0.001 })).status).toBe(400);
    expect((await refund(company, paymentId, { amount: 1 })).json.error.message).toBe("Invalid value for parameter 'amount'");
    expect((await readPayment(company, paymentId)).refunded_amount).toBe(0);
  });

  it("sends v5 refund payloads with the payment id and the refund status, failed included", async () => {
    const { company, hook, paymentId } = await paidPurchase("v5");
    await refund(company, paymentId, { partial_amount: 7.5 });
    const created = await waitFor(() => deliveriesOf(hook, "refund.created")[0]);
    const updated = await waitFor(() => deliveriesOf(hook, "refund.updated")[0]);
    expect(created.json).toMatchObject({ api_version: "v5", data: { payment_id: paymentId, amount: 7.5, status: "pending", created_at: expect.any(Number) } });
    expect(updated.json.data).toMatchObject({ payment_id: paymentId, status: "succeeded" });

    const held = await control(sandbox, `/payments/${paymentId}/refund`, { amount: 2, settle: "hold" });
    await control(sandbox, `/refunds/${held.json.id as string}/fail`);
    const failed = await waitFor(() => deliveriesOf(hook, "refund.updated")[1]);
    expect(failed.json.data).toMatchObject({ id: held.json.id, payment_id: paymentId, status: "failed", amount: 2 });
  });

  it("needs payment:manage", async () => {
    const { company, paymentId } = await paidPurchase();
    const refused = await refund(company, paymentId, {}, {}, company.restrictedKey);
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain("`payment:manage`");
  });
});

describe("refund controls", () => {
  it("settle hold keeps a refund pending until /succeed; /fail fails it and frees the amount", async () => {
    const { company, hook, paymentId } = await paidPurchase();
    const held = await control(sandbox, `/payments/${paymentId}/refund`, { amount: 10, settle: "hold" });
    expect(held.status).toBe(200);
    expect(held.json).toMatchObject({ id: expect.stringMatching(/^rfnd_/), status: "pending", amount: 10, payment: { id: paymentId } });
    await sleep(50); // ten times the scaled settle delay
    expect((await api(sandbox, `/api/v1/refunds/${held.json.id as string}`, { key: company.companyKey })).json.status).toBe("pending");
    expect(deliveriesOf(hook, "refund.updated")).toHaveLength(0);

    const succeeded = await control(sandbox, `/refunds/${held.json.id as string}/succeed`);
    expect(succeeded.json).toMatchObject({ id: held.json.id, status: "succeeded" });
    await waitFor(() => deliveriesOf(hook, "refund.updated")[0]);
    expect((await readPayment(company, paymentId)).refunded_amount).toBe(10);

    const doomed = await control(sandbox, `/payments/${paymentId}/refund`, { settle: "hold" });
    expect(doomed.json.amount).toBe(19.99);
    expect((await refund(company, paymentId, { partial_amount: 1 })).status).toBe(400);
    const failed = await control(sandbox, `/refunds/${doomed.json.id as string}/fail`);
    expect(failed.json).toMatchObject({ status: "failed" });
    const update = await waitFor(() => deliveriesOf(hook, "refund.updated").find((r) => (r.json.data as { id: string }).id === doomed.json.id));
    expect(update.json.data).toMatchObject({ status: "failed", amount: 19.99 });
    expect(await readPayment(company, paymentId)).toMatchObject({ refunded_amount: 10, substatus: "partially_refunded", refundable: true });
    // a failed refund holds nothing back
    expect((await refund(company, paymentId, { partial_amount: 19.99 })).status).toBe(200);
  });

  it("only pending refunds settle; unknown refunds 404; settle must be auto or hold", async () => {
    const { company, paymentId } = await paidPurchase();
    const auto = await control(sandbox, `/payments/${paymentId}/refund`, { amount: 1 });
    expect(auto.json.status).toBe("pending");
    await waitFor(async () => (await api(sandbox, `/api/v1/refunds/${auto.json.id as string}`, { key: company.companyKey })).json.status === "succeeded");
    const settled = await control(sandbox, `/refunds/${auto.json.id as string}/succeed`);
    expect(settled.status).toBe(400);
    expect(settled.json.error.message).toMatch(/is succeeded, not pending/);
    expect((await control(sandbox, `/refunds/${auto.json.id as string}/fail`)).status).toBe(400);
    expect((await control(sandbox, "/refunds/rfnd_DoesNotExist01/fail")).status).toBe(404);
    expect((await control(sandbox, `/payments/${paymentId}/refund`, { settle: "later" })).status).toBe(400);
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
