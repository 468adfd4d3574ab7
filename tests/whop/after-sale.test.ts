import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
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
  it("posts partial_amount in major units with the Idempotency-Key and the key", async () => {
    const seen = capture(REFUND, () => HttpResponse.json(refundedPayment));
    const payment = await makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", partialAmount: 12.5, idempotencyKey: "refund_ord_1_1250" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toEqual({ partial_amount: 12.5 });
    expect(seen[0]!.headers.get("idempotency-key")).toBe("refund_ord_1_1250");
    expect(seen[0]!.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(payment).toMatchObject({ id: "pay_Ab12Cd34Ef56Gh", substatus: "partially_refunded", refundedAmount: 12.5 });
  });

  it("omits partial_amount for a full refund", async () => {
    const seen = capture(REFUND, () => HttpResponse.json({ ...refundedPayment, refunded_amount: 29.99 }));
    await makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", idempotencyKey: "refund_ord_1_2999" });
    expect(seen[0]!.body).toEqual({});
  });

  it("retries a 500 with the same Idempotency-Key (safe: Whop refunds once)", async () => {
    let calls = 0;
    const keys: (string | null)[] = [];
    server.use(
      http.post(REFUND, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        return ++calls === 1 ? HttpResponse.json({ error: { message: "boom" } }, { status: 500 }) : HttpResponse.json(refundedPayment);
      }),
    );
    await makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", partialAmount: 12.5, idempotencyKey: "k1" });
    expect(keys).toEqual(["k1", "k1"]);
  });

  it("a missing payment:manage becomes a merchant message that names it", async () => {
    capture(REFUND, forbidden("payment:manage"));
    const err = await whopErrorOf(() => makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", idempotencyKey: "k" }));
    expect(err).toMatchObject({ kind: "forbidden", missingPermissions: ["payment:manage"] });
    const message = describeWhopProblem(err, { environment: "production", operation: "refund" });
    expect(message).toContain("refunding the payment");
    expect(message).toContain("payment:manage");
    expect(message).not.toContain(API_KEY);
  });

  it("a bare 403 still names the permission refunds need", async () => {
    capture(REFUND, () => HttpResponse.json({ error: { message: "Forbidden" } }, { status: 403 }));
    const err = await whopErrorOf(() => makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", idempotencyKey: "k" }));
    expect(describeWhopProblem(err, { environment: "production", operation: "refund" })).toContain("(missing: payment:manage)");
  });

  it("Whop's refusal (more than is left) is quoted to the merchant", async () => {
    capture(REFUND, () => HttpResponse.json({ error: { type: "bad_request", message: "Refund amount must be greater than 0 and at most 5" } }, { status: 400 }));
    const err = await whopErrorOf(() => makeClient().refundPayment({ paymentId: "pay_Ab12Cd34Ef56Gh", partialAmount: 9, idempotencyKey: "k" }));
    expect(err.kind).toBe("bad_request");
    expect(describeWhopProblem(err, { environment: "production", operation: "refund" })).toBe(
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
    expect(describeWhopProblem(err, { environment: "sandbox", operation: "membership_cancel" })).toContain("canceling the membership (missing: membership:cancel)");

    server.resetHandlers();
    capture(CANCEL, () => HttpResponse.json({ error: { type: "not_found", message: "Membership not found" } }, { status: 404 }));
    const missing = await whopErrorOf(() => makeClient().cancelMembership({ membershipId: "mem_Ab12Cd34Ef56Gh", mode: "immediate" }));
    expect(describeWhopProblem(missing, { environment: "sandbox", operation: "membership_cancel" })).toBe("Whop refused canceling the membership (404): “Membership not found”.");
  });
});
