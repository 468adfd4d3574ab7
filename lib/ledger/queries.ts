import { and, asc, eq } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { ledgerDisputes, ledgerPayments, ledgerRefunds, refundRequests, type LedgerDispute, type LedgerPayment, type LedgerRefund, type RefundRequest } from "@/db/schema";

/** An order's ledger as the order page shows it: every payment, refund and dispute, and the refunds asked for. */
export interface OrderLedgerView {
  payments: LedgerPayment[];
  refunds: LedgerRefund[];
  disputes: LedgerDispute[];
  requests: RefundRequest[];
}

export async function orderLedger(tenantId: string, orderId: string, executor: Executor = db()): Promise<OrderLedgerView> {
  const [payments, refunds, disputes, requests] = await Promise.all([
    executor.select().from(ledgerPayments).where(and(eq(ledgerPayments.tenantId, tenantId), eq(ledgerPayments.orderId, orderId))).orderBy(asc(ledgerPayments.createdAt)),
    executor.select().from(ledgerRefunds).where(and(eq(ledgerRefunds.tenantId, tenantId), eq(ledgerRefunds.orderId, orderId))).orderBy(asc(ledgerRefunds.createdAt)),
    executor.select().from(ledgerDisputes).where(and(eq(ledgerDisputes.tenantId, tenantId), eq(ledgerDisputes.orderId, orderId))).orderBy(asc(ledgerDisputes.createdAt)),
    executor.select().from(refundRequests).where(and(eq(refundRequests.tenantId, tenantId), eq(refundRequests.orderId, orderId))).orderBy(asc(refundRequests.createdAt)),
  ]);
  return { payments, refunds, disputes, requests };
}
