import { describe, expect, it } from "vitest";
import {
  advanceDispute,
  advancePayment,
  advanceRefund,
  deriveOrder,
  disputePhaseOf,
  type DisputeState,
  type OrderBasis,
  type PaymentStatus,
  type RefundStatus,
} from "@/lib/ledger/derive";

/*
 * The ledger's promise: whatever order Whop's events arrive in, and however many copies of each,
 * the same facts give the same order. Each event is folded into its row with the lifecycle rules
 * apply.ts uses, then the order is derived; every permutation must end in one state.
 */

type Event =
  | { kind: "payment"; id: string; status: PaymentStatus; minor: number; currency?: string }
  | { kind: "refund"; id: string; status: RefundStatus; minor: number }
  | { kind: "dispute"; id: string; whopStatus: string; minor: number };

const ORDER: OrderBasis = { amountMinor: 4000, currency: "usd", failureReason: null, expiredAt: null };

function fold(events: readonly Event[], order: OrderBasis = ORDER) {
  const payments = new Map<string, { status: PaymentStatus; minor: number; currency: string }>();
  const refunds = new Map<string, { status: RefundStatus; minor: number }>();
  const disputes = new Map<string, DisputeState & { minor: number }>();
  for (const event of events) {
    if (event.kind === "payment") {
      payments.set(event.id, { status: advancePayment(payments.get(event.id)?.status, event.status), minor: event.minor, currency: event.currency ?? "usd" });
    } else if (event.kind === "refund") {
      refunds.set(event.id, { status: advanceRefund(refunds.get(event.id)?.status, event.status), minor: event.minor });
    } else {
      const next = advanceDispute(disputes.get(event.id), { phase: disputePhaseOf(event.whopStatus), whopStatus: event.whopStatus });
      disputes.set(event.id, { ...next, minor: event.minor });
    }
  }
  const paidAt = new Date("2031-01-01T00:00:00Z");
  return deriveOrder(order, {
    payments: [...payments.values()].map((p) => ({ status: p.status, amountMinor: p.minor, subtotalMinor: p.minor, currency: p.currency, paidAt })),
    refunds: [...refunds.values()].map((r) => ({ paymentId: "pay_1", status: r.status, amountMinor: r.minor, currency: "usd", migrated: false })),
    disputes: [...disputes.values()].map((d) => ({ phase: d.phase, amountMinor: d.minor, currency: "usd" })),
    outstandingRequests: 0,
  });
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i]!, ...tail];
  }
}

/** Every permutation, and each with one event delivered twice more at a seeded random place. */
function allArrivals(events: readonly Event[]): Event[][] {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const arrivals: Event[][] = [];
  for (const order of permutations(events)) {
    arrivals.push(order);
    const copy = [...order];
    for (let n = 0; n < 2; n++) copy.splice(Math.floor(random() * (copy.length + 1)), 0, order[Math.floor(random() * order.length)]!);
    arrivals.push(copy);
  }
  return arrivals;
}

function expectOneOutcome(events: readonly Event[]) {
  const outcomes = new Set(allArrivals(events).map((arrival) => JSON.stringify(fold(arrival))));
  expect([...outcomes]).toHaveLength(1);
  return JSON.parse([...outcomes][0]!) as ReturnType<typeof fold>;
}

describe("deriveOrder over every arrival order, with duplicates", () => {
  it("a payment, a refund that succeeds and one that fails: partially refunded by the succeeded one only", () => {
    const outcome = expectOneOutcome([
      { kind: "payment", id: "pay_1", status: "pending", minor: 4000 },
      { kind: "payment", id: "pay_1", status: "succeeded", minor: 4000 },
      { kind: "refund", id: "rf_1", status: "pending", minor: 1200 },
      { kind: "refund", id: "rf_1", status: "succeeded", minor: 1200 },
      { kind: "refund", id: "rf_2", status: "pending", minor: 500 },
      { kind: "refund", id: "rf_2", status: "failed", minor: 500 },
    ]);
    expect(outcome).toMatchObject({ status: "partially_refunded", paidMinor: 4000, refundedMinor: 1200, refundPending: false, amountMismatch: false });
  });

  it("a dispute won after refunds: paid again, the refunds still counted", () => {
    const outcome = expectOneOutcome([
      { kind: "payment", id: "pay_1", status: "succeeded", minor: 4000 },
      { kind: "refund", id: "rf_1", status: "requires_action", minor: 1000 },
      { kind: "refund", id: "rf_1", status: "succeeded", minor: 1000 },
      { kind: "dispute", id: "dp_1", whopStatus: "needs_response", minor: 4000 },
      { kind: "dispute", id: "dp_1", whopStatus: "under_review", minor: 4000 },
      { kind: "dispute", id: "dp_1", whopStatus: "won", minor: 4000 },
    ]);
    expect(outcome).toMatchObject({ status: "partially_refunded", refundedMinor: 1000 });
  });

  it("a lost dispute outranks a full refund; a pending refund shows as the flag, not as money", () => {
    const outcome = expectOneOutcome([
      { kind: "payment", id: "pay_1", status: "failed", minor: 4000 },
      { kind: "payment", id: "pay_1", status: "succeeded", minor: 4000 },
      { kind: "refund", id: "rf_1", status: "succeeded", minor: 4000 },
      { kind: "refund", id: "rf_2", status: "pending", minor: 100 },
      { kind: "dispute", id: "dp_1", whopStatus: "warning_needs_response", minor: 4000 },
      { kind: "dispute", id: "dp_1", whopStatus: "lost", minor: 4000 },
    ]);
    expect(outcome).toMatchObject({ status: "dispute_lost", refundedMinor: 4000, refundPending: true });
  });

  it("a payment of the wrong amount: paid, flagged", () => {
    const outcome = expectOneOutcome([
      { kind: "payment", id: "pay_1", status: "pending", minor: 100 },
      { kind: "payment", id: "pay_1", status: "succeeded", minor: 100 },
      { kind: "dispute", id: "dp_1", whopStatus: "needs_response", minor: 100 },
      { kind: "dispute", id: "dp_1", whopStatus: "closed", minor: 100 },
    ]);
    expect(outcome).toMatchObject({ status: "paid", paidMinor: 100, amountMismatch: true });
  });
});

describe("deriveOrder: statuses before and without money", () => {
  it("pending, expired, failed", () => {
    expect(fold([]).status).toBe("pending");
    expect(fold([], { ...ORDER, expiredAt: new Date() }).status).toBe("expired");
    expect(fold([], { ...ORDER, failureReason: "Whop rejected the key" }).status).toBe("failed");
    expect(fold([{ kind: "payment", id: "pay_1", status: "failed", minor: 4000 }]).status).toBe("failed");
    expect(fold([{ kind: "payment", id: "pay_1", status: "pending", minor: 4000 }], { ...ORDER, expiredAt: new Date() }).status).toBe("pending");
  });

  it("an open dispute is disputed; closed without an outcome keeps the money", () => {
    const paid: Event = { kind: "payment", id: "pay_1", status: "succeeded", minor: 4000 };
    expect(fold([paid, { kind: "dispute", id: "dp_1", whopStatus: "under_review", minor: 4000 }]).status).toBe("disputed");
    expect(fold([paid, { kind: "dispute", id: "dp_1", whopStatus: "warning_closed", minor: 4000 }]).status).toBe("paid");
  });

  it("another currency is an amount difference", () => {
    expect(fold([{ kind: "payment", id: "pay_1", status: "succeeded", minor: 4000, currency: "eur" }])).toMatchObject({ status: "paid", amountMismatch: true });
  });

  it("money is counted in the currency Whop charged: a dollar order paid in euros shows the euros, and their refund", () => {
    const euros = { status: "succeeded" as const, amountMinor: 3700, subtotalMinor: 3700, currency: "eur", paidAt: new Date("2031-01-01T00:00:00Z") };
    const refund = (amountMinor: number) => ({ paymentId: "pay_1", status: "succeeded" as const, amountMinor, currency: "eur", migrated: false });
    const none = { payments: [euros], refunds: [], disputes: [], outstandingRequests: 0 };
    expect(deriveOrder(ORDER, none)).toMatchObject({ status: "paid", paidMinor: 3700, paidCurrency: "eur", refundedMinor: 0, amountMismatch: true });
    expect(deriveOrder(ORDER, { ...none, refunds: [refund(1000)] })).toMatchObject({ status: "partially_refunded", paidMinor: 3700, refundedMinor: 1000 });
    expect(deriveOrder(ORDER, { ...none, refunds: [refund(3700)] })).toMatchObject({ status: "refunded", refundedMinor: 3700 });
  });

  it("a tally carried over from before the ledger counts as the larger of itself and Whop's own refunds", () => {
    const derived = deriveOrder(ORDER, {
      payments: [{ status: "succeeded", amountMinor: 4000, subtotalMinor: 4000, currency: "usd", paidAt: null }],
      refunds: [
        { paymentId: "pay_1", status: "succeeded", amountMinor: 1500, currency: "usd", migrated: true },
        { paymentId: "pay_1", status: "succeeded", amountMinor: 1000, currency: "usd", migrated: false },
      ],
      disputes: [],
      outstandingRequests: 0,
    });
    expect(derived.refundedMinor).toBe(1500);
  });
});
