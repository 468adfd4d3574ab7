import { SUBSCRIPTION_STATE_TEXT, type SubscriptionState } from "@/lib/subscriptions/lifecycle";

const LOOK: Record<SubscriptionState, string> = {
  trialing: "bg-sky-50 text-sky-800 ring-sky-200",
  active: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  past_due: "bg-red-50 text-red-800 ring-red-200",
  canceling: "bg-amber-50 text-amber-900 ring-amber-200",
  canceled: "bg-zinc-100 text-zinc-700 ring-zinc-200",
  expired: "bg-zinc-100 text-zinc-700 ring-zinc-200",
};

/** A subscription's lifecycle state as a badge (Trialing, Active, Past due, Canceling, Canceled, Expired). */
export function SubscriptionStateBadge({ state }: { state: SubscriptionState }) {
  return <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${LOOK[state]}`}>{SUBSCRIPTION_STATE_TEXT[state]}</span>;
}
