import { and, asc, eq, gte, isNotNull, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { ledgerDisputes, ledgerPayments, ledgerRefunds, refundRequests, type LedgerDispute, type LedgerPayment, type LedgerRefund, type RefundRequest } from "@/db/schema";

/** An order's ledger as the order page shows it: every payment, refund and dispute, and the refunds asked for. */
export interface OrderLedgerView {
  payments: LedgerPayment[];
  refunds: LedgerRefund[];
  disputes: LedgerDispute[];
  requests: RefundRequest[];
}

export async function orderLedger(tenantId: string, orderId: string): Promise<OrderLedgerView> {
  const [payments, refunds, disputes, requests] = await Promise.all([
    db().select().from(ledgerPayments).where(and(eq(ledgerPayments.tenantId, tenantId), eq(ledgerPayments.orderId, orderId))).orderBy(asc(ledgerPayments.createdAt)),
    db().select().from(ledgerRefunds).where(and(eq(ledgerRefunds.tenantId, tenantId), eq(ledgerRefunds.orderId, orderId))).orderBy(asc(ledgerRefunds.createdAt)),
    db().select().from(ledgerDisputes).where(and(eq(ledgerDisputes.tenantId, tenantId), eq(ledgerDisputes.orderId, orderId))).orderBy(asc(ledgerDisputes.createdAt)),
    db().select().from(refundRequests).where(and(eq(refundRequests.tenantId, tenantId), eq(refundRequests.orderId, orderId))).orderBy(asc(refundRequests.createdAt)),
  ]);
  return { payments, refunds, disputes, requests };
}

export interface RevenueRow {
  currency: string;
  /** Succeeded payments − succeeded refunds − lost disputes. */
  netMinor: number;
  /** Orders with a succeeded payment counted (an order with a renewal counts once). */
  orders: number;
}

/**
 * Revenue per currency from the ledger since a date (or over the last N days), each row by its own
 * time: payments by when they were paid, refunds by when Whop created them, lost disputes by when
 * they were decided. A refund tally carried over from before the ledger counts per payment as the
 * larger of itself and Whop's own refunds, as in the order's derivation. Only rows of the tenant's
 * orders count: a refund or dispute whose payment matches no order (yet) is not this revenue's.
 */
export async function revenueByCurrency(tenantId: string, window: Date | { days: number }): Promise<RevenueRow[]> {
  const since = window instanceof Date ? window : new Date(Date.now() - window.days * 24 * 60 * 60 * 1000);
  const refundedPerPayment = db()
    .select({
      currency: ledgerRefunds.currency,
      minor: sql<string>`greatest(coalesce(sum(${ledgerRefunds.amountMinor}) filter (where not ${ledgerRefunds.migrated}), 0), coalesce(sum(${ledgerRefunds.amountMinor}) filter (where ${ledgerRefunds.migrated}), 0))`.as("minor"),
    })
    .from(ledgerRefunds)
    .where(and(eq(ledgerRefunds.tenantId, tenantId), isNotNull(ledgerRefunds.orderId), eq(ledgerRefunds.status, "succeeded"), sql`coalesce(${ledgerRefunds.whopCreatedAt}, ${ledgerRefunds.createdAt}) >= ${since.toISOString()}::timestamptz`))
    .groupBy(ledgerRefunds.paymentId, ledgerRefunds.currency)
    .as("refunded_per_payment");
  const [paid, refunded, lost] = await Promise.all([
    db()
      .select({ currency: ledgerPayments.currency, minor: sql<string>`coalesce(sum(${ledgerPayments.amountMinor}), 0)`, count: sql<string>`count(distinct ${ledgerPayments.orderId})` })
      .from(ledgerPayments)
      .where(and(eq(ledgerPayments.tenantId, tenantId), eq(ledgerPayments.status, "succeeded"), gte(ledgerPayments.paidAt, since)))
      .groupBy(ledgerPayments.currency),
    db()
      .select({ currency: refundedPerPayment.currency, minor: sql<string>`sum(${refundedPerPayment.minor})` })
      .from(refundedPerPayment)
      .groupBy(refundedPerPayment.currency),
    db()
      .select({ currency: ledgerDisputes.currency, minor: sql<string>`coalesce(sum(${ledgerDisputes.amountMinor}), 0)` })
      .from(ledgerDisputes)
      .where(and(eq(ledgerDisputes.tenantId, tenantId), isNotNull(ledgerDisputes.orderId), eq(ledgerDisputes.phase, "lost"), gte(ledgerDisputes.updatedAt, since)))
      .groupBy(ledgerDisputes.currency),
  ]);
  const rows = new Map<string, RevenueRow>();
  const row = (currency: string | null) => {
    const key = currency ?? "usd";
    let entry = rows.get(key);
    if (!entry) rows.set(key, (entry = { currency: key, netMinor: 0, orders: 0 }));
    return entry;
  };
  for (const p of paid) Object.assign(row(p.currency), { netMinor: row(p.currency).netMinor + Number(p.minor), orders: Number(p.count) });
  for (const r of refunded) row(r.currency).netMinor -= Number(r.minor);
  for (const d of lost) row(d.currency).netMinor -= Number(d.minor);
  return [...rows.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}
