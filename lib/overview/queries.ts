import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { ledgerRefunds, overviewDays, subscriptionTotals } from "@/db/schema";
import { monthlyMinor } from "@/lib/subscriptions/billing";
import { PAYING_STATES, SUBSCRIBED_STATES } from "@/lib/subscriptions/lifecycle";

/*
 * The overview's figures (/dashboard: revenue, renewals, the chart, MRR, subscribers, churn), read
 * from the rows the database keeps per tenant, UTC day and currency (overview_days) and per
 * subscription kind (subscription_totals): triggers add every change of orders and the ledger to
 * them in the same transaction (migration 0018_overview_rollups). A window is whole UTC days:
 * "the last 30 days" is today and the 29 days before it, as the chart shows them; a window given
 * as a date starts at the beginning of that date's UTC day.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** `YYYY-MM-DD` of the UTC day an instant falls on. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The first UTC day of a window: a date's own day, or of the last `days` days ending on `now`'s day. */
function firstDay(window: Date | { days: number; now?: Date }): string {
  if (window instanceof Date) return utcDay(window);
  const now = window.now ?? new Date();
  return utcDay(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (window.days - 1) * DAY_MS));
}

interface DayRow {
  day: string;
  currency: string;
  paidOrders: number;
  paidMinor: number;
  payingOrders: number;
  renewals: number;
  renewalMinor: number;
  refundedMinor: number;
  lostMinor: number;
  churned: number;
}

/** The tenant's rows from `since` (a UTC day) on: a few per day, one primary-key range. */
export function overviewDaysQuery(tenantId: string, since: string) {
  return db()
    .select()
    .from(overviewDays)
    .where(and(eq(overviewDays.tenantId, tenantId), gte(overviewDays.day, since)));
}

async function daysSince(tenantId: string, since: string): Promise<DayRow[]> {
  return (await overviewDaysQuery(tenantId, since)).map(({ tenantId: _tenant, ...row }) => row);
}

/**
 * The refund tallies carried over from before the ledger count per payment as the larger of
 * themselves and Whop's own refunds of that payment (as in each order's own refunded amount), which
 * no sum per day can give: what that rule adds beyond Whop's own refunds, per currency, for
 * windows starting on each of `since` (the rollups hold Whop's own). Only payments with a tally
 * are read (ledger_refunds_tenant_migrated_idx, then their refunds).
 */
export function carriedOverRefundsQuery(tenantId: string) {
  const tallied = db().select({ paymentId: ledgerRefunds.paymentId }).from(ledgerRefunds).where(and(eq(ledgerRefunds.tenantId, tenantId), sql`${ledgerRefunds.migrated}`));
  return db()
    .select({
      paymentId: ledgerRefunds.paymentId,
      currency: ledgerRefunds.currency,
      day: sql<string>`to_char(coalesce(${ledgerRefunds.whopCreatedAt}, ${ledgerRefunds.createdAt}) at time zone 'UTC', 'YYYY-MM-DD')`,
      migrated: ledgerRefunds.migrated,
      minor: ledgerRefunds.amountMinor,
    })
    .from(ledgerRefunds)
    .where(
      and(
        eq(ledgerRefunds.tenantId, tenantId),
        inArray(ledgerRefunds.paymentId, tallied),
        eq(ledgerRefunds.status, "succeeded"),
        sql`${ledgerRefunds.orderId} is not null`,
      ),
    );
}

async function carriedOverRefunds(tenantId: string, since: string[]): Promise<Map<string, Map<string, number>>> {
  const rows = await carriedOverRefundsQuery(tenantId);
  const result = new Map<string, Map<string, number>>();
  for (const from of since) {
    const perPayment = new Map<string, { currency: string; real: number; carried: number }>();
    for (const row of rows) {
      if (row.day < from) continue;
      const key = `${row.paymentId}\u0000${row.currency ?? ""}`;
      const entry = perPayment.get(key) ?? { currency: row.currency ?? "usd", real: 0, carried: 0 };
      if (row.migrated) entry.carried += row.minor ?? 0;
      else entry.real += row.minor ?? 0;
      perPayment.set(key, entry);
    }
    const extra = new Map<string, number>();
    for (const { currency, real, carried } of perPayment.values()) {
      if (carried > real) extra.set(currency, (extra.get(currency) ?? 0) + carried - real);
    }
    result.set(from, extra);
  }
  return result;
}

export interface RevenueRow {
  currency: string;
  /** Succeeded payments − succeeded refunds − lost disputes. */
  netMinor: number;
  /** Orders with a succeeded payment in the window (an order with renewals counts once). */
  orders: number;
}

/**
 * Revenue per currency from the first day on, each row by its own time: payments by when they were
 * paid, refunds by when Whop created them, lost disputes by when they were decided; only rows of
 * the tenant's orders count.
 */
function revenueFrom(rows: DayRow[], since: string, carried: Map<string, number>): RevenueRow[] {
  const byCurrency = new Map<string, RevenueRow & { seen: boolean }>();
  for (const row of rows) {
    if (row.day < since) continue;
    const entry = byCurrency.get(row.currency) ?? { currency: row.currency, netMinor: 0, orders: 0, seen: false };
    entry.netMinor += row.paidMinor - row.refundedMinor - row.lostMinor;
    entry.orders += row.payingOrders;
    entry.seen ||= row.payingOrders !== 0 || row.paidMinor !== 0 || row.refundedMinor !== 0 || row.lostMinor !== 0;
    byCurrency.set(row.currency, entry);
  }
  for (const [currency, minor] of carried) {
    const entry = byCurrency.get(currency) ?? { currency, netMinor: 0, orders: 0, seen: true };
    entry.netMinor -= minor;
    entry.seen = true;
    byCurrency.set(currency, entry);
  }
  return [...byCurrency.values()]
    .filter((entry) => entry.seen)
    .map(({ currency, netMinor, orders }) => ({ currency, netMinor, orders }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
}

export async function revenueByCurrency(tenantId: string, window: Date | { days: number; now?: Date }): Promise<RevenueRow[]> {
  const since = firstDay(window);
  const [rows, carried] = await Promise.all([daysSince(tenantId, since), carriedOverRefunds(tenantId, [since])]);
  return revenueFrom(rows, since, carried.get(since)!);
}

export interface DayCount {
  day: string;
  count: number;
}

/** Every day of the window, oldest first, with what `count` says of its rows (0 for a day without any). */
function perDay(rows: DayRow[], since: string, days: number, count: (row: DayRow) => number): DayCount[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.day, (counts.get(row.day) ?? 0) + count(row));
  const start = Date.parse(`${since}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => {
    const day = utcDay(new Date(start + i * DAY_MS));
    return { day, count: counts.get(day) ?? 0 };
  });
}

/**
 * Orders paid per UTC day over the last `days` days ending today (by paid_at; settled orders, so a
 * paid order refunded later still counts the day it was paid), oldest first, every day present.
 */
export function paidOrdersPerDay(tenantId: string, days: number, now = new Date()): Promise<DayCount[]> {
  return countsPerDay(tenantId, days, now, (row) => row.paidOrders);
}

async function countsPerDay(tenantId: string, days: number, now: Date, count: (row: DayRow) => number): Promise<DayCount[]> {
  const since = firstDay({ days, now });
  return perDay(await daysSince(tenantId, since), since, days, count);
}

export interface RenewalRevenue {
  currency: string;
  minor: number;
  count: number;
}

function renewalsFrom(rows: DayRow[], since: string): RenewalRevenue[] {
  const byCurrency = new Map<string, RenewalRevenue>();
  for (const row of rows) {
    if (row.day < since || row.renewals === 0) continue;
    const entry = byCurrency.get(row.currency) ?? { currency: row.currency, minor: 0, count: 0 };
    entry.minor += row.renewalMinor;
    entry.count += row.renewals;
    byCurrency.set(row.currency, entry);
  }
  return [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

/** Renewals (succeeded `subscription_cycle` payments after their order's first) per currency in a window. */
export async function renewalRevenueByCurrency(tenantId: string, window: Date | { days: number; now?: Date }): Promise<RenewalRevenue[]> {
  const since = firstDay(window);
  return renewalsFrom(await daysSince(tenantId, since), since);
}

/** Renewals per UTC day over the last `days` days ending today, oldest first, every day present. */
export function renewalsPerDay(tenantId: string, days: number, now = new Date()): Promise<DayCount[]> {
  return countsPerDay(tenantId, days, now, (row) => row.renewals);
}

export interface SubscriptionSummary {
  currency: string;
  /** Monthly recurring revenue of active and canceling subscriptions (minor units, rounded once). */
  mrrMinor: number;
  /** Trialing, active and canceling: the buyer has access. */
  subscribers: number;
  /** Canceled or expired in the last 30 days. */
  churned30d: number;
}

/**
 * MRR and active subscribers per currency (weekly × 52 / 12, monthly × 1, every 3 months ÷ 3,
 * yearly ÷ 12, of the renewal prices of active and canceling subscriptions), and the churn of the
 * last 30 days.
 */
function subscriptionsFrom(totals: (typeof subscriptionTotals.$inferSelect)[], rows: DayRow[], since: string): SubscriptionSummary[] {
  const byCurrency = new Map<string, { mrr: number; subscribers: number; churned30d: number }>();
  const entry = (currency: string) => byCurrency.get(currency) ?? byCurrency.set(currency, { mrr: 0, subscribers: 0, churned30d: 0 }).get(currency)!;
  for (const total of totals) {
    if (total.subscriptions === 0 || !SUBSCRIBED_STATES.includes(total.state)) continue;
    const row = entry(total.currency);
    row.subscribers += total.subscriptions;
    if (PAYING_STATES.includes(total.state)) row.mrr += monthlyMinor(total.amountMinor, total.billingPeriodDays);
  }
  for (const row of rows) if (row.day >= since && row.churned !== 0) entry(row.currency).churned30d += row.churned;
  return [...byCurrency.entries()]
    .map(([currency, row]) => ({ currency, mrrMinor: Math.round(row.mrr), subscribers: row.subscribers, churned30d: row.churned30d }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
}

export function subscriptionTotalsQuery(tenantId: string) {
  return db().select().from(subscriptionTotals).where(eq(subscriptionTotals.tenantId, tenantId));
}

export async function subscriptionSummary(tenantId: string, now = new Date()): Promise<SubscriptionSummary[]> {
  const since = firstDay({ days: 30, now });
  const [totals, rows] = await Promise.all([subscriptionTotalsQuery(tenantId), daysSince(tenantId, since)]);
  return subscriptionsFrom(totals, rows, since);
}

export interface Overview {
  /** The chart: paid orders and renewals per UTC day, oldest first, every day of the window present. */
  days: { day: string; count: number; renewals: number }[];
  revenue7d: RevenueRow[];
  revenue30d: RevenueRow[];
  /** The revenue card's "of which renewals", over the 30 days. */
  renewals30d: RenewalRevenue[];
  subscriptions: SubscriptionSummary[];
}

/** The first day of the overview's 30-day window (for the benchmark's EXPLAIN of the same reads). */
export function overviewSince(now = new Date()): string {
  return firstDay({ days: 30, now });
}

/** Everything the overview shows of money and subscriptions, for the last 30 UTC days: three reads. */
export async function overviewFigures(tenantId: string, now = new Date()): Promise<Overview> {
  const since30 = firstDay({ days: 30, now });
  const since7 = firstDay({ days: 7, now });
  const [rows, carried, totals] = await Promise.all([daysSince(tenantId, since30), carriedOverRefunds(tenantId, [since7, since30]), subscriptionTotalsQuery(tenantId)]);
  const paid = perDay(rows, since30, 30, (row) => row.paidOrders);
  const renewed = perDay(rows, since30, 30, (row) => row.renewals);
  return {
    days: paid.map((day, i) => ({ ...day, renewals: renewed[i]!.count })),
    revenue7d: revenueFrom(rows, since7, carried.get(since7)!),
    revenue30d: revenueFrom(rows, since30, carried.get(since30)!),
    renewals30d: renewalsFrom(rows, since30),
    subscriptions: subscriptionsFrom(totals, rows, since30),
  };
}
