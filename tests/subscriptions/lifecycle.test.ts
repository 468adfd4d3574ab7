import { describe, expect, it } from "vitest";
import { applyMembershipReport, deriveSubscription, displayState, stateOfReport, type MembershipFacts, type MembershipReport, type RenewalCharge } from "@/lib/subscriptions/lifecycle";

const EMPTY: MembershipFacts = { at: null, status: null, valid: null, cancelAtPeriodEnd: false, periodEnd: null };
const t = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const report = (minute: number, status: string | null, extra: Partial<MembershipReport> = {}): MembershipReport => ({ at: t(minute), status, valid: null, cancelAtPeriodEnd: null, periodEnd: null, ...extra });

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** The state after the reports arrive in `order` (each event once, then every event again: a redelivery changes nothing). */
function finalState(order: MembershipReport[], renewals: RenewalCharge[]) {
  const facts = [...order, ...order].reduce(applyMembershipReport, EMPTY);
  return { ...deriveSubscription(facts, renewals), cancelAtPeriodEnd: facts.cancelAtPeriodEnd, periodEnd: facts.periodEnd };
}

const scenarios: { name: string; reports: MembershipReport[]; renewals?: RenewalCharge[]; state: string; cancelAtPeriodEnd?: boolean; periodEnd?: Date | null; endedAt?: Date | null }[] = [
  {
    name: "a trial converts: activated (trialing), trial_ending_soon, the first charge, updated (active)",
    reports: [report(0, "trialing", { valid: true, periodEnd: t(7) }), report(6, "trialing", { periodEnd: t(7) }), report(8, "active", { cancelAtPeriodEnd: false, periodEnd: t(37) })],
    renewals: [{ status: "succeeded", at: t(7) }],
    state: "active",
    periodEnd: t(37),
  },
  {
    name: "a trial's first charge lands but membership.updated is lost: active all the same",
    reports: [report(0, "trialing", { valid: true, periodEnd: t(7) }), report(6, "trialing", { periodEnd: t(7) })],
    renewals: [{ status: "succeeded", at: t(7) }],
    state: "active",
  },
  {
    name: "a renewal fails: payment.failed then updated (past_due)",
    reports: [report(0, "active", { valid: true, periodEnd: t(30) }), report(31, "past_due")],
    renewals: [{ status: "failed", at: t(30) }],
    state: "past_due",
  },
  {
    name: "a renewal fails and only payment.failed arrives: past due from the ledger",
    reports: [report(0, "active", { valid: true, periodEnd: t(30) })],
    renewals: [{ status: "failed", at: t(30) }],
    state: "past_due",
  },
  {
    name: "past due, then a charge succeeds and the membership is activated again",
    reports: [report(0, "active", { valid: true }), report(31, "past_due"), report(41, "active", { valid: true, periodEnd: t(70) })],
    renewals: [{ status: "failed", at: t(30) }, { status: "succeeded", at: t(40) }],
    state: "active",
    periodEnd: t(70),
  },
  {
    name: "cancel at period end, then the period ends (deactivated, canceled)",
    reports: [report(0, "active", { valid: true, periodEnd: t(30) }), report(10, "active", { cancelAtPeriodEnd: true, periodEnd: t(30) }), report(30, "canceled", { valid: false, cancelAtPeriodEnd: true, periodEnd: t(30) })],
    state: "canceled",
    cancelAtPeriodEnd: true,
    endedAt: t(30),
  },
  {
    name: "cancel at period end, then resume",
    reports: [report(0, "active", { valid: true, periodEnd: t(30) }), report(10, "active", { cancelAtPeriodEnd: true }), report(20, "active", { cancelAtPeriodEnd: false })],
    state: "active",
    cancelAtPeriodEnd: false,
  },
  {
    name: "a trial canceled at period end is canceling",
    reports: [report(0, "trialing", { valid: true, periodEnd: t(7) }), report(3, "trialing", { cancelAtPeriodEnd: true })],
    state: "canceling",
    cancelAtPeriodEnd: true,
  },
  {
    name: "cancel now: deactivated",
    reports: [report(0, "active", { valid: true }), report(5, "canceled", { valid: false })],
    renewals: [{ status: "succeeded", at: t(1) }],
    state: "canceled",
    endedAt: t(5),
  },
  {
    name: "past due until it expires",
    reports: [report(0, "active", { valid: true }), report(31, "past_due"), report(60, "expired", { valid: false })],
    renewals: [{ status: "failed", at: t(30) }],
    state: "expired",
    endedAt: t(60),
  },
];

describe("a subscription's lifecycle from every arrival order of its events", () => {
  for (const scenario of scenarios) {
    it(scenario.name, () => {
      const outcomes = permutations(scenario.reports).map((order) => finalState(order, scenario.renewals ?? []));
      for (const outcome of outcomes) {
        expect(outcome.state).toBe(scenario.state);
        if (scenario.cancelAtPeriodEnd !== undefined) expect(outcome.cancelAtPeriodEnd).toBe(scenario.cancelAtPeriodEnd);
        if (scenario.periodEnd !== undefined) expect(outcome.periodEnd).toEqual(scenario.periodEnd);
        if (scenario.endedAt !== undefined) expect(outcome.endedAt).toEqual(scenario.endedAt);
      }
      expect(outcomes.length).toBe([1, 1, 2, 6, 24][scenario.reports.length]);
    });
  }
});

describe("one report's state", () => {
  it("reads Whop's statuses and the pending cancellation", () => {
    const states = [
      ["trialing", null, false],
      ["active", null, false],
      ["active", null, true],
      ["canceling", null, false],
      ["past_due", null, false],
      ["canceled", false, false],
      ["expired", null, false],
      ["completed", null, false],
      [null, true, false],
      [null, false, false],
      ["active", false, false],
      [null, null, null],
    ].map(([status, valid, cancelAtPeriodEnd]) => stateOfReport({ status: status as string | null, valid: valid as boolean | null, cancelAtPeriodEnd: cancelAtPeriodEnd as boolean | null }));
    expect(states).toEqual(["trialing", "active", "canceling", "canceling", "past_due", "canceled", "expired", "expired", "active", "canceled", "canceled", null]);
  });

  it("an older report never overrides a newer one; of two at the same instant the one further along wins", () => {
    const newer = applyMembershipReport(EMPTY, report(10, "canceled", { valid: false }));
    expect(applyMembershipReport(newer, report(5, "active", { valid: true }))).toBe(newer);
    const same = applyMembershipReport(EMPTY, report(10, "active"));
    expect(applyMembershipReport(same, report(10, "past_due")).status).toBe("past_due");
    expect(applyMembershipReport(applyMembershipReport(EMPTY, report(10, "past_due")), report(10, "active")).status).toBe("past_due");
  });

  it("shows a canceling subscription whose period has ended as canceled", () => {
    expect(displayState({ subscriptionState: "canceling", currentPeriodEnd: t(30) }, t(31))).toBe("canceled");
    expect(displayState({ subscriptionState: "canceling", currentPeriodEnd: t(30) }, t(29))).toBe("canceling");
    expect(displayState({ subscriptionState: "active", currentPeriodEnd: t(30) }, t(31))).toBe("active");
  });
});
