import { and, desc, eq, gte, inArray, isNotNull, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { db } from "@/db/client";
import { keysetBefore } from "@/db/keyset";
import { items, ledgerPayments, orders } from "@/db/schema";
import { decodeCursor, encodeCursor, utcDay, type OrderRow } from "@/lib/orders/queries";
import { monthlyMinor } from "./billing";
import { PAYING_STATES, SUBSCRIBED_STATES, SUBSCRIPTION_STATES } from "./lifecycle";

/*
 * Reading subscriptions: the Subscriptions view (keyset pages like the orders list, one range of
 * orders_tenant_subscriptions_idx or, filtered by state, of orders_tenant_subscription_state_idx),
 * the overview's MRR, active subscribers and churn, and renewal revenue from the ledger.
 */

export const subscriptionFilterSchema = z.object({
  state: z.enum(SUBSCRIPTION_STATES as [string, ...string[]]).optional().catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
});
export type SubscriptionFilter = z.output<typeof subscriptionFilterSchema>;

const isSubscription = isNotNull(orders.billingPeriodDays);

export async function listSubscriptions(tenantId: string, filter: SubscriptionFilter, pageSize = 25): Promise<{ rows: OrderRow[]; nextCursor: string | null }> {
  // The partial indexes' own predicate, so the planner matches them.
  const conditions: SQL[] = [eq(orders.tenantId, tenantId), isSubscription];
  if (filter.state) conditions.push(eq(orders.subscriptionState, filter.state as (typeof SUBSCRIPTION_STATES)[number]));
  const cursor = decodeCursor(filter.cursor);
  if (cursor) conditions.push(keysetBefore(orders.createdAt, orders.id, cursor.createdAt, cursor.id));
  const rows = await db()
    .select({ order: orders, itemTitle: items.title })
    .from(orders)
    .innerJoin(items, and(eq(items.tenantId, orders.tenantId), eq(items.id, orders.itemId)))
    .where(and(...conditions))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(pageSize + 1);
  const page = rows.slice(0, pageSize);
  return { rows: page, nextCursor: rows.length > pageSize ? encodeCursor(page[page.length - 1]!.order) : null };
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
 * MRR and active subscribers per currency (SPEC: weekly × 52 / 12, monthly × 1, every 3 months ÷
 * 3, yearly ÷ 12, of the renewal prices of active and canceling subscriptions), and the churn of
 * the last 30 days. Two grouped index range reads.
 */
export async function subscriptionSummary(tenantId: string, now = new Date()): Promise<SubscriptionSummary[]> {
  const since = new Date(now.getTime() - 30 * 86_400_000);
  const [live, churned] = await Promise.all([
    db()
      .select({
        currency: orders.currency,
        days: orders.billingPeriodDays,
        state: orders.subscriptionState,
        count: sql<string>`count(*)`,
        minor: sql<string>`coalesce(sum(${orders.amountMinor}), 0)`,
      })
      .from(orders)
      .where(and(eq(orders.tenantId, tenantId), isSubscription, inArray(orders.subscriptionState, [...SUBSCRIBED_STATES])))
      .groupBy(orders.currency, orders.billingPeriodDays, orders.subscriptionState),
    db()
      .select({ currency: orders.currency, count: sql<string>`count(*)` })
      .from(orders)
      .where(and(eq(orders.tenantId, tenantId), isNotNull(orders.subscriptionEndedAt), gte(orders.subscriptionEndedAt, since), isSubscription))
      .groupBy(orders.currency),
  ]);
  const rows = new Map<string, { mrr: number; subscribers: number; churned30d: number }>();
  const row = (currency: string) => rows.get(currency) ?? rows.set(currency, { mrr: 0, subscribers: 0, churned30d: 0 }).get(currency)!;
  for (const group of live) {
    const entry = row(group.currency);
    entry.subscribers += Number(group.count);
    if ((PAYING_STATES as readonly string[]).includes(group.state ?? "")) entry.mrr += monthlyMinor(Number(group.minor), group.days!);
  }
  for (const group of churned) row(group.currency).churned30d += Number(group.count);
  return [...rows.entries()]
    .map(([currency, entry]) => ({ currency, mrrMinor: Math.round(entry.mrr), subscribers: entry.subscribers, churned30d: entry.churned30d }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
}

/**
 * Renewals: succeeded `subscription_cycle` payments after their order's first one (after a trial,
 * Whop's first charge is a cycle payment too, but it starts the subscription: it is the paid
 * order). `ledger_payments.renewal` is derived with the order, so this is one range of the partial
 * index ledger_payments_tenant_renewals_idx.
 */
function renewalsOf(tenantId: string, since: Date) {
  return and(eq(ledgerPayments.tenantId, tenantId), sql`${ledgerPayments.renewal}`, gte(ledgerPayments.paidAt, since));
}

/** Succeeded renewals per currency since a date or over the last N days (the revenue card's "of which renewals"). */
export async function renewalRevenueByCurrency(tenantId: string, window: Date | { days: number }): Promise<{ currency: string; minor: number; count: number }[]> {
  const since = window instanceof Date ? window : new Date(Date.now() - window.days * 86_400_000);
  const rows = await db()
    .select({ currency: ledgerPayments.currency, minor: sql<string>`coalesce(sum(${ledgerPayments.amountMinor}), 0)`, count: sql<string>`count(*)` })
    .from(ledgerPayments)
    .where(renewalsOf(tenantId, since))
    .groupBy(ledgerPayments.currency);
  return rows.map((r) => ({ currency: r.currency ?? "usd", minor: Number(r.minor), count: Number(r.count) }));
}

/** Succeeded renewals per UTC day over the last `days` days ending today, oldest first, every day present. */
export async function renewalsPerDay(tenantId: string, days: number, now = new Date()): Promise<{ day: string; count: number }[]> {
  return (await renewalActivity(tenantId, days, now)).perDay;
}

/**
 * The overview's renewals in one read: per UTC day over the last `days` days (the chart) and per
 * currency over the same days (the revenue card's "of which renewals").
 */
export async function renewalActivity(tenantId: string, days: number, now = new Date()): Promise<{ perDay: { day: string; count: number }[]; byCurrency: { currency: string; minor: number; count: number }[] }> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const since = new Date(today - (days - 1) * 86_400_000);
  const day = sql<string>`to_char(date_trunc('day', ${ledgerPayments.paidAt} at time zone 'UTC'), 'YYYY-MM-DD')`;
  const rows = await db()
    .select({ day, currency: ledgerPayments.currency, count: sql<string>`count(*)`, minor: sql<string>`coalesce(sum(${ledgerPayments.amountMinor}), 0)` })
    .from(ledgerPayments)
    .where(renewalsOf(tenantId, since))
    .groupBy(day, ledgerPayments.currency);
  const counts = new Map<string, number>();
  const currencies = new Map<string, { currency: string; minor: number; count: number }>();
  for (const row of rows) {
    counts.set(row.day, (counts.get(row.day) ?? 0) + Number(row.count));
    const currency = row.currency ?? "usd";
    const entry = currencies.get(currency) ?? { currency, minor: 0, count: 0 };
    entry.minor += Number(row.minor);
    entry.count += Number(row.count);
    currencies.set(currency, entry);
  }
  const perDay = Array.from({ length: days }, (_, i) => {
    const key = utcDay(new Date(since.getTime() + i * 86_400_000));
    return { day: key, count: counts.get(key) ?? 0 };
  });
  return { perDay, byCurrency: [...currencies.values()].sort((a, b) => a.currency.localeCompare(b.currency)) };
}
