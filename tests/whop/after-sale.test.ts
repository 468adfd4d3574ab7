import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WHOP_API_VERSION_DATE, type RefundPaymentInput } from "@/lib/whop/client";
import { describeWhopProblem } from "@/lib/whop/messages";
import { API_KEY, makeClient, ORIGIN, whopErrorOf } from "./helpers";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const REFUND = `${ORIGIN}/api/v1/payments/pay_Ab12Cd34Ef56Gh/refund`;
const CANCEL = `${ORIGIN}/api/v1/memberships/mem_Ab12Cd34Ef56Gh/cancel`;

interface Seen {
  body: unknown;
  headers: Headers;
}

function capture(url: string, answer: () => Response) {
  const seen: Seen[] = [];
  server.use(
    http.post(url, async ({ request }) => {
      seen.push({ body: await request.json(), headers: request.headers });
      return answer();
    }),
  );
  return seen;
}

const refundedPayment = { id: "pay_Ab12Cd34Ef56Gh", status: "paid", substatus: "partially_refunded", total: 29.99, refunded_amount: 12.5, currency: "usd" };
const forbidden = (permission: string) => () =>
  HttpResponse.json({ error: { type: "forbidden", message: `Actor is missing all required permissions: \`${permission}\`` } }, { status: 403 });

describe("refundPayment", () => {
  it("posts partial_amount in major units with the key and no Idempotency-Key (Whop declares none for refunds)", async () => {
    const seen = capture(REFUND, () => HttpResponse.json(refundedPayment));
    const payment = await makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", partialAmount: 12.5 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toEqual({ partial_amount: 12.5 });
    expect(seen[0]!.headers.get("idempotency-key")).toBeNull();
    expect(seen[0]!.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(seen[0]!.headers.get("api-version-date")).toBe(WHOP_API_VERSION_DATE);
    expect(payment).toMatchObject({ id: "pay_Ab12Cd34Ef56Gh", substatus: "partially_refunded", refundedAmount: 12.5 });
  });

  it("omits partial_amount for a full refund", async () => {
    const seen = capture(REFUND, () => HttpResponse.json({ ...refundedPayment, refunded_amount: 29.99 }));
    await makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh" });
    expect(seen[0]!.body).toEqual({});
  });

  it("sends no Idempotency-Key even when a caller still passes one", async () => {
    const seen = capture(REFUND, () => HttpResponse.json(refundedPayment));
    const legacyInput = { paymentId: "pay_Ab12Cd34Ef56Gh", idempotencyKey: "refund_ord_1_1250" } as RefundPaymentInput;
    await makeClient().refundPayment(legacyInput);
    expect(seen[0]!.headers.get("idempotency-key")).toBeNull();
  });

  it("is never retried after a 500: one POST, then server_error (the caller reads the payment back)", async () => {
    let calls = 0;
    const waits: number[] = [];
    server.use(
      http.post(REFUND, () => {
        calls++;
        return HttpResponse.json({ error: { message: "boom" } }, { status: 500 });
      }),
    );
    const legacyInput = { paymentId: "pay_Ab12Cd34Ef56Gh", partialAmount: 12.5, idempotencyKey: "k1" } as RefundPaymentInput;
    const err = await whopErrorOf(() => makeClient({ maxRetries: 3, sleep: async (ms) => void waits.push(ms) }).refundPayment(legacyInput));
    expect(err).toMatchObject({ kind: "server_error", status: 500 });
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it("is never retried after a timeout or a 429 with a short wait", async () => {
    const legacyInput = { paymentId: "pay_Ab12Cd34Ef56Gh", idempotencyKey: "k2" } as RefundPaymentInput;
    let calls = 0;
    server.use(
      http.post(REFUND, async () => {
        calls++;
        await delay(1_000);
        return HttpResponse.json(refundedPayment);
      }),
    );
    const err = await whopErrorOf(() => makeClient({ timeoutMs: 50, maxRetries: 3 }).refundPayment(legacyInput));
    expect(err.kind).toBe("timeout");
    expect(calls).toBe(1);

    server.resetHandlers();
    calls = 0;
    server.use(
      http.post(REFUND, () => {
        calls++;
        return HttpResponse.json({ error: { message: "Try again in 1 seconds." } }, { status: 429 });
      }),
    );
    const limited = await whopErrorOf(() => makeClient({ maxRetries: 3 }).refundPayment(legacyInput));
    expect(limited.kind).toBe("rate_limited");
    expect(calls).toBe(1);
  });

  it("a missing payment:manage becomes a merchant message that names it", async () => {
    capture(REFUND, forbidden("payment:manage"));
    const err = await whopErrorOf(() => makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh" }));
    expect(err).toMatchObject({ kind: "forbidden", missingPermissions: ["payment:manage"] });
    const message = describeWhopProblem(err, { tenant: { environment: "live" }, operation: "refund" });
    expect(message).toContain("refunding the payment");
    expect(message).toContain("payment:manage");
    expect(message).not.toContain(API_KEY);
  });

  it("a bare 403 still names the permission refunds need", async () => {
    capture(REFUND, () => HttpResponse.json({ error: { message: "Forbidden" } }, { status: 403 }));
    const err = await whopErrorOf(() => makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh" }));
    expect(describeWhopProblem(err, { tenant: { environment: "live" }, operation: "refund" })).toContain("(missing: payment:manage)");
  });

  it("Whop's refusal (more than is left) is quoted to the merchant", async () => {
    capture(REFUND, () => HttpResponse.json({ error: { type: "bad_request", message: "Refund amount must be greater than 0 and at most 5" } }, { status: 400 }));
    const err = await whopErrorOf(() => makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", partialAmount: 9 }));
    expect(err.kind).toBe("bad_request");
    expect(describeWhopProblem(err, { tenant: { environment: "live" }, operation: "refund" })).toBe(
      "Whop refused refunding the payment (400): “Refund amount must be greater than 0 and at most 5”.",
    );
  });
});

describe("cancelMembership", () => {
  it("posts the cancellation mode with the Idempotency-Key", async () => {
    const seen = capture(CANCEL, () => HttpResponse.json({ id: "mem_Ab12Cd34Ef56Gh", status: "canceled", cancel_at_period_end: false }));
    const membership = await makeClient().cancelMembership({ membershipId: "mem_Ab12Cd34Ef56Gh", mode: "immediate", idempotencyKey: "cancel_ord_1_immediate" });
    expect(seen[0]!.body).toEqual({ cancellation_mode: "immediate" });
    expect(seen[0]!.headers.get("idempotency-key")).toBe("cancel_ord_1_immediate");
    expect(membership).toMatchObject({ id: "mem_Ab12Cd34Ef56Gh", status: "canceled", cancelAtPeriodEnd: false });
  });

  it("at_period_end reads cancel_at_period_end back", async () => {
    const seen = capture(CANCEL, () => HttpResponse.json({ id: "mem_Ab12Cd34Ef56Gh", status: "active", cancel_at_period_end: true }));
    const membership = await makeClient().cancelMembership({ membershipId: "mem_Ab12Cd34Ef56Gh", mode: "at_period_end" });
    expect(seen[0]!.body).toEqual({ cancellation_mode: "at_period_end" });
    expect(seen[0]!.headers.get("idempotency-key")).toBeNull();
    expect(membership.cancelAtPeriodEnd).toBe(true);
  });

  it("a missing membership:cancel is named to the merchant; a 404 says Whop refused", async () => {
    capture(CANCEL, forbidden("membership:cancel"));
    const err = await whopErrorOf(() => makeClient().cancelMembership({ membershipId: "mem_Ab12Cd34Ef56Gh", mode: "immediate" }));
    expect(describeWhopProblem(err, { tenant: { environment: "test" }, operation: "membership_cancel" })).toContain("canceling the membership (missing: membership:cancel)");

    server.resetHandlers();
    capture(CANCEL, () => HttpResponse.json({ error: { type: "not_found", message: "Membership not found" } }, { status: 404 }));
    const missing = await whopErrorOf(() => makeClient().cancelMembership({ membershipId: "mem_Ab12Cd34Ef56Gh", mode: "immediate" }));
    expect(describeWhopProblem(missing, { tenant: { environment: "test" }, operation: "membership_cancel" })).toBe("Whop refused canceling the membership (404): “Membership not found”.");
  });
});
