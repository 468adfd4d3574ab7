import type { Order } from "@/db/schema";

/*
 * A subscription's lifecycle as a pure function of what Whop reported, so that any arrival order
 * of the same events gives the same state. Two inputs: the membership's latest report (status,
 * cancel_at_period_end, renewal_period_end — an older report never overrides a newer one, ties go
 * to the report that ranks further along) and the order's renewal payments in the ledger (a
 * renewal that failed, or succeeded, after the membership's last report says what happened since).
 */

export type SubscriptionState = NonNullable<Order["subscriptionState"]>;

export const SUBSCRIPTION_STATES: readonly SubscriptionState[] = ["trialing", "active", "past_due", "canceling", "canceled", "expired"];

export const SUBSCRIPTION_STATE_TEXT: Record<SubscriptionState, string> = {
  trialing: "Trialing",
  active: "Active",
  past_due: "Past due",
  canceling: "Canceling",
  canceled: "Canceled",
  expired: "Expired",
};

/** What each state means for the merchant (the order page and the Subscriptions view say it). */
export const SUBSCRIPTION_STATE_MEANING: Record<SubscriptionState, string> = {
  trialing: "In the free trial: the buyer has access; the first charge comes when the trial ends.",
  active: "Renewing every period: the buyer has access.",
  past_due: "A renewal charge failed. Whop retries it; until a charge succeeds the buyer has no access, and if none does the subscription expires.",
  canceling: "Canceled at period end: the buyer keeps access until the current period ends, then it stops renewing.",
  canceled: "Canceled: no more renewals and no access.",
  expired: "Ended without renewing: no access.",
};

/** Ended: no renewals and no access. */
export const ENDED_STATES: ReadonlySet<SubscriptionState> = new Set(["canceled", "expired"]);
/** Counted by MRR (the renewal price keeps coming, or does until the period ends). */
export const PAYING_STATES: readonly SubscriptionState[] = ["active", "canceling"];
/** Active subscribers: the buyer has access. */
export const SUBSCRIBED_STATES: readonly SubscriptionState[] = ["trialing", "active", "canceling"];

/** How far along a lifecycle a state is: the tie-break between two reports of the same instant. */
const RANK: Record<SubscriptionState, number> = { trialing: 0, active: 1, past_due: 2, canceling: 2, canceled: 3, expired: 3 };

/** One membership report (a membership event, or the membership read from Whop). */
export interface MembershipReport {
  at: Date;
  status: string | null;
  /** activated / deactivated say it; v5 carries `valid`. */
  valid: boolean | null;
  cancelAtPeriodEnd: boolean | null;
  periodEnd: Date | null;
}

/** What the membership's reports amount to (the order keeps these columns). */
export interface MembershipFacts {
  at: Date | null;
  status: string | null;
  valid: boolean | null;
  cancelAtPeriodEnd: boolean;
  periodEnd: Date | null;
}

/** The state one report says, on its own (null: it does not say). */
export function stateOfReport(report: Pick<MembershipReport, "status" | "valid" | "cancelAtPeriodEnd">): SubscriptionState | null {
  const canceling = report.cancelAtPeriodEnd === true;
  let state: SubscriptionState | null;
  switch (report.status) {
    case "canceled":
      state = "canceled";
      break;
    case "expired":
    case "completed":
      state = "expired";
      break;
    case "past_due":
    case "unresolved":
      state = "past_due";
      break;
    case "canceling":
      state = "canceling";
      break;
    case "trialing":
      state = canceling ? "canceling" : "trialing";
      break;
    case "active":
      state = canceling ? "canceling" : "active";
      break;
    default:
      state = report.valid === true ? (canceling ? "canceling" : "active") : report.valid === false ? "canceled" : null;
  }
  // A deactivation of a membership whose status still reads valid: access ended.
  if (report.valid === false && state !== null && !ENDED_STATES.has(state) && state !== "past_due") return "canceled";
  return state;
}

/**
 * The membership facts after one more report: the newer report wins; of two reports of the same
 * instant, the one further along the lifecycle. Fields a report leaves out keep their value.
 */
export function applyMembershipReport(current: MembershipFacts, report: MembershipReport): MembershipFacts {
  if (current.at !== null) {
    if (report.at < current.at) return current;
    if (report.at.getTime() === current.at.getTime()) {
      const was = stateOfReport(current);
      const now = stateOfReport(report);
      if (was !== null && (now === null || RANK[now] < RANK[was])) return current;
    }
  }
  return {
    at: report.at,
    status: report.status ?? current.status,
    valid: report.valid ?? (report.status !== null ? null : current.valid),
    cancelAtPeriodEnd: report.cancelAtPeriodEnd ?? current.cancelAtPeriodEnd,
    periodEnd: report.periodEnd ?? current.periodEnd,
  };
}

/** A renewal payment of the order (billing reason `subscription_cycle`), as the ledger holds it. */
export interface RenewalCharge {
  status: "pending" | "failed" | "succeeded";
  /** When Whop made (failed) or collected (succeeded) it. */
  at: Date | null;
}

export interface Subscription {
  state: SubscriptionState | null;
  /** When it became canceled or expired. */
  endedAt: Date | null;
}

/**
 * The subscription's state: the membership's latest report, then what its renewals say since —
 * a renewal that failed after that report makes it past due, one that succeeded after it (and
 * after any failure) makes a trialing or past due subscription active.
 */
export function deriveSubscription(facts: MembershipFacts, renewals: readonly RenewalCharge[], previousEndedAt: Date | null = null): Subscription {
  let state = stateOfReport(facts);
  const since = facts.at?.getTime() ?? -Infinity;
  const after = (status: RenewalCharge["status"]) =>
    renewals.filter((r) => r.status === status && r.at !== null && r.at.getTime() > since).reduce((latest, r) => Math.max(latest, r.at!.getTime()), -Infinity);
  const lastFailed = after("failed");
  const lastSucceeded = after("succeeded");
  if (state === "trialing" || state === "active" || state === "past_due" || (state === null && (lastFailed > -Infinity || lastSucceeded > -Infinity))) {
    if (lastSucceeded > -Infinity && lastSucceeded >= lastFailed) state = "active";
    else if (lastFailed > -Infinity) state = "past_due";
  }
  const endedAt = state !== null && ENDED_STATES.has(state) ? (previousEndedAt ?? facts.at) : null;
  return { state, endedAt };
}

/** The state a person sees: a canceling subscription whose period has ended is over, even before Whop says so. */
export function displayState(order: Pick<Order, "subscriptionState" | "currentPeriodEnd">, now = new Date()): SubscriptionState | null {
  if (order.subscriptionState === "canceling" && order.currentPeriodEnd && order.currentPeriodEnd <= now) return "canceled";
  return order.subscriptionState;
}
