import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, control, deliveriesOf, paidPurchase, startSandbox, waitFor, type Receiver, type Sandbox } from "./helpers";

/* Disputes: opened and decided through `/_sandbox/*` controls, announced by dispute.created / dispute.updated. */

let sandbox: Sandbox;
const receivers: Receiver[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sandbox.close());

const substatus = async (key: string, paymentId: string) => (await api(sandbox, `/api/v1/payments/${paymentId}`, { key })).json.substatus as string;

describe("POST /_sandbox/payments/{id}/dispute", () => {
  it("opens a needs_response dispute and delivers dispute.created, whose payment carries no metadata", async () => {
    const { company, hook, paymentId } = await paidPurchase(sandbox, receivers);
    const before = Date.now();
    const opened = await control(sandbox, `/payments/${paymentId}/dispute`, { reason: "product_not_received" });
    expect(opened.status).toBe(200);
    expect(opened.json).toMatchObject({
      id: expect.stringMatching(/^dspt_[0-9A-Za-z]{14}$/),
      status: "needs_response",
      amount: 29.99,
      currency: "usd",
      reason: "product_not_received",
      payment: { id: paymentId },
    });
    const deadline = Date.parse(opened.json.needs_response_by as string);
    expect(deadline - before).toBeGreaterThan(6 * 86_400_000);

    const created = await waitFor(() => deliveriesOf(hook, "dispute.created")[0]);
    expect(created.json).toMatchObject({ api_version: "v1", company_id: company.companyId });
    const data = created.json.data as Record<string, unknown> & { payment: Record<string, unknown> };
    expect(data).toMatchObject({ id: opened.json.id, status: "needs_response", amount: 29.99, currency: "usd", reason: "product_not_received", needs_response_by: opened.json.needs_response_by });
    expect(data.payment).toMatchObject({ id: paymentId, total: 29.99, currency: "usd" });
    expect(data.payment).not.toHaveProperty("metadata");
    expect(JSON.stringify(data)).not.toContain("ord_as");

    expect(await substatus(company.companyKey, paymentId)).toBe("dispute_needs_response");
    const payment = (await api(sandbox, `/api/v1/payments/${paymentId}`, { key: company.companyKey })).json;
    expect(payment.disputes).toEqual([expect.objectContaining({ id: opened.json.id, status: "needs_response", amount: 29.99 })]);
  });

  it("win, lose and close decide it with dispute.updated; a decided dispute cannot be decided again", async () => {
    for (const [action, status] of [["win", "won"], ["lose", "lost"], ["close", "closed"]] as const) {
      const { company, hook, paymentId } = await paidPurchase(sandbox, receivers);
      const opened = await control(sandbox, `/payments/${paymentId}/dispute`, { amount: 10 });
      expect(opened.json).toMatchObject({ amount: 10, reason: "fraudulent" });
      const decided = await control(sandbox, `/disputes/${opened.json.id as string}/${action}`);
      expect(decided.status).toBe(200);
      expect(decided.json).toMatchObject({ id: opened.json.id, status });
      const update = await waitFor(() => deliveriesOf(hook, "dispute.updated")[0]);
      expect(update.json.data).toMatchObject({ id: opened.json.id, status, amount: 10, payment: { id: paymentId } });
      expect((update.json.data as { payment: object }).payment).not.toHaveProperty("metadata");
      expect(await substatus(company.companyKey, paymentId)).toBe(`dispute_${status}`);
      const again = await control(sandbox, `/disputes/${opened.json.id as string}/win`);
      expect(again.status).toBe(400);
      expect(again.json.error.message).toMatch(new RegExp(`already ${status}`));
    }
  });

  it("one open dispute per payment, only on paid payments, at most the payment's total; unknown ids 404", async () => {
    const { paymentId } = await paidPurchase(sandbox, receivers);
    expect((await control(sandbox, `/payments/${paymentId}/dispute`, { amount: 30 })).status).toBe(400);
    expect((await control(sandbox, `/payments/${paymentId}/dispute`, { reason: 5 })).status).toBe(400);
    const first = await control(sandbox, `/payments/${paymentId}/dispute`);
    expect((await control(sandbox, `/payments/${paymentId}/dispute`)).json.error.message).toMatch(/already has an open dispute/);
    await control(sandbox, `/disputes/${first.json.id as string}/win`);
    expect((await control(sandbox, `/payments/${paymentId}/dispute`)).status).toBe(200);
    expect((await control(sandbox, "/payments/pay_DoesNotExist01/dispute")).status).toBe(404);
    expect((await control(sandbox, "/disputes/dspt_DoesNotExist01/lose")).status).toBe(404);
  });

  it("an open or lost dispute shows in the substatus before refunds; a won one gives way to them", async () => {
    const { company, paymentId } = await paidPurchase(sandbox, receivers);
    const refund = await control(sandbox, `/payments/${paymentId}/refund`, { amount: 5, settle: "hold" });
    await control(sandbox, `/refunds/${refund.json.id as string}/succeed`);
    expect(await substatus(company.companyKey, paymentId)).toBe("partially_refunded");
    const dispute = await control(sandbox, `/payments/${paymentId}/dispute`);
    expect(await substatus(company.companyKey, paymentId)).toBe("dispute_needs_response");
    await control(sandbox, `/disputes/${dispute.json.id as string}/win`);
    expect(await substatus(company.companyKey, paymentId)).toBe("partially_refunded");
  });

  it("sends v5 dispute payloads with the payment id", async () => {
    const { hook, paymentId } = await paidPurchase(sandbox, receivers, { apiVersion: "v5" });
    const opened = await control(sandbox, `/payments/${paymentId}/dispute`);
    await control(sandbox, `/disputes/${opened.json.id as string}/lose`);
    const created = await waitFor(() => deliveriesOf(hook, "dispute.created")[0]);
    const updated = await waitFor(() => deliveriesOf(hook, "dispute.updated")[0]);
    expect(created.json).toMatchObject({ api_version: "v5", data: { id: opened.json.id, payment_id: paymentId, status: "needs_response", needs_response_by: expect.any(Number) } });
    expect(updated.json.data).toMatchObject({ id: opened.json.id, status: "lost" });
  });
});
