import { toMajorUnits, type Currency } from "@/lib/money";

/*
 * How often a recurring item bills, and the prices its Whop plan carries. Whop counts a renewal
 * plan's `billing_period` in days; the item form offers the periods below. The MRR normalisation
 * is per period, not per day: a weekly price counts 52/12 times a month, a quarterly one a third.
 */

export const BILLING_PERIODS = {
  weekly: { days: 7, label: "Weekly", every: "week", perMonth: { num: 52, den: 12 } },
  monthly: { days: 30, label: "Monthly", every: "month", perMonth: { num: 1, den: 1 } },
  quarterly: { days: 90, label: "Every 3 months", every: "3 months", perMonth: { num: 1, den: 3 } },
  yearly: { days: 365, label: "Yearly", every: "year", perMonth: { num: 1, den: 12 } },
} as const;

export type BillingPeriod = keyof typeof BILLING_PERIODS;
/** `one_time`, or how often it renews. */
export type Billing = "one_time" | BillingPeriod;

export const BILLING_OPTIONS: { value: Billing; label: string }[] = [
  { value: "one_time", label: "One-time" },
  ...(Object.entries(BILLING_PERIODS) as [BillingPeriod, (typeof BILLING_PERIODS)[BillingPeriod]][]).map(([value, period]) => ({ value, label: period.label })),
];

export const TRIAL_DAYS_MAX = 365;

/** The billing period of a number of days as stored (null: one-time); undefined for a number the form never offers. */
export function billingOfDays(days: number | null): Billing | undefined {
  if (days === null) return "one_time";
  return (Object.entries(BILLING_PERIODS) as [BillingPeriod, { days: number }][]).find(([, period]) => period.days === days)?.[0];
}

export function billingLabel(days: number | null): string {
  const billing = billingOfDays(days);
  if (billing === undefined) return `Every ${days} days`;
  return billing === "one_time" ? "One-time" : BILLING_PERIODS[billing].label;
}

/** "$9.99 / month" for a recurring price, the plain price otherwise. */
export function everyText(days: number | null): string | null {
  const billing = billingOfDays(days);
  if (billing === "one_time") return null;
  return billing === undefined ? `${days} days` : BILLING_PERIODS[billing].every;
}

export interface RenewalPlanPrices {
  /** Decimal major units, as Whop takes them. */
  initialPrice: number;
  renewalPrice: number;
}

/**
 * The one place that decides a renewal plan's prices. Whop's SDK documents `initial_price` on a
 * renewal plan two ways (docs/whop.md, "Subscriptions"): the newer, more specific reading — an
 * amount charged on top of the renewal price at the first purchase — is followed, so a plain
 * subscription sends `initial_price: 0` and `renewal_price` = the price. Should Whop confirm the
 * other reading (the first purchase's price), this is the only line to change.
 */
export function renewalPlanPrices(priceMinor: number, currency: Currency): RenewalPlanPrices {
  const { initialMinor, renewalMinor } = renewalPlanMinor(priceMinor);
  return { initialPrice: toMajorUnits(initialMinor, currency), renewalPrice: toMajorUnits(renewalMinor, currency) };
}

function renewalPlanMinor(priceMinor: number): { initialMinor: number; renewalMinor: number } {
  return { initialMinor: 0, renewalMinor: priceMinor };
}

/**
 * What a payment of an order should be (its subtotal), by its billing reason: a one-time order's
 * price; a renewal (`subscription_cycle`) the renewal price; a subscription's first charge the
 * renewal price plus the initial fee of the rule above (none today).
 */
export function expectedChargeMinor(order: { amountMinor: number; billingPeriodDays?: number | null }, billingReason: string | null): number {
  if (order.billingPeriodDays === null || order.billingPeriodDays === undefined) return order.amountMinor;
  const { initialMinor, renewalMinor } = renewalPlanMinor(order.amountMinor);
  return billingReason === "subscription_cycle" ? renewalMinor : initialMinor + renewalMinor;
}

/**
 * A renewal price as monthly recurring revenue, in minor units (may be fractional: rounding
 * happens once, on the sum). Weekly × 52 / 12, monthly × 1, every 3 months ÷ 3, yearly ÷ 12; a
 * period the form never offers counts by its days (× 30 / days).
 */
export function monthlyMinor(priceMinor: number, billingPeriodDays: number): number {
  const billing = billingOfDays(billingPeriodDays);
  if (billing === undefined || billing === "one_time") return (priceMinor * 30) / billingPeriodDays;
  const { num, den } = BILLING_PERIODS[billing].perMonth;
  return (priceMinor * num) / den;
}

/**
 * Whether a payment of an order is a renewal: a `subscription_cycle` payment other than the
 * order's first succeeded one (after a trial, Whop's first charge is a cycle payment too, but it
 * starts the subscription). A failed cycle payment is a failed renewal.
 */
export function isRenewal(payment: { billingReason: string | null; status: string; paidAt: Date | null }, order: { paidAt: Date | null }): boolean {
  if (payment.billingReason !== "subscription_cycle") return false;
  if (payment.status !== "succeeded") return payment.status === "failed";
  return order.paidAt !== null && payment.paidAt !== null && payment.paidAt > order.paidAt;
}
