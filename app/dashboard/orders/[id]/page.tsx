import Link from "next/link";
import { notFound } from "next/navigation";
import { CancelMembershipForm } from "@/components/cancel-membership-form";
import { OrderActionButton } from "@/components/order-action-button";
import { OrderStatusWithFlags } from "@/components/order-status";
import { RefundForm } from "@/components/refund-form";
import { Card, Notice } from "@/components/ui/card";
import { Detail } from "@/components/ui/detail";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { NO_ACCESS_TEXT, orderAccess } from "@/lib/ledger/access";
import { orderEvents } from "@/lib/ledger/events";
import { orderLedger } from "@/lib/ledger/queries";
import { canRefund, refundPosition } from "@/lib/ledger/refunds";
import { formatMoney, isCurrency, toMajorString, type Currency } from "@/lib/money";
import { canCancelMembership } from "@/lib/orders/after-sale";
import { getOrder } from "@/lib/orders/queries";
import { acceptPaymentAction, cancelMembershipAction, reconcileOrderAction, refundOrderAction } from "./actions";

export const metadata = { title: "Order" };

const REQUEST_STATE_TEXT = {
  reserved: "being sent to Whop",
  requested: "asked of Whop, waiting for its refund",
  unknown: "Whop did not confirm; reconciliation asks again",
  failed: "not refunded",
} as const;

export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const { tenant } = await requireAccount();
  const { id } = await params;
  const found = await getOrder(tenant.id, id);
  if (!found) notFound();
  const { order, item } = found;
  const [events, ledger, position] = await Promise.all([orderEvents(tenant.id, order.id), orderLedger(tenant.id, order.id), refundPosition(undefined, order)]);
  const money = (minor: number | null, currency: string | null = order.currency) =>
    minor === null ? "—" : isCurrency(currency ?? order.currency) ? formatMoney(minor, (currency ?? order.currency) as Currency) : `${minor} ${currency}`;
  const access = orderAccess(order);
  const cancelPending = order.cancelRequestedAt !== null && order.membershipValid !== false;
  const refundable = canRefund(order, position);
  const cancelable = canCancelMembership(order);
  const openRequests = ledger.requests.filter((request) => request.whopRefundId === null);
  const differs = order.amountMismatch && order.amountAcceptedAt === null;

  return (
    <>
      <Link href="/dashboard/orders" className="text-sm text-zinc-600 hover:underline">
        ← Orders
      </Link>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{money(order.amountMinor)}</h1>
        <OrderStatusWithFlags order={order} />
      </div>
      {order.amountMismatch && (
        <Notice tone="warning">
          <p>
            Whop charged {order.paidMinor !== null ? money(order.paidMinor, order.paidCurrency) : "a different amount"} for this order, not {money(order.amountMinor)}.{" "}
            {order.amountAcceptedAt
              ? `You accepted this payment on ${formatDateTime(order.amountAcceptedAt)}: it grants access.`
              : "Until you accept it, the payment grants no access. Check it in your Whop dashboard, then accept it or refund it."}
          </p>
          {differs && (
            <div className="mt-3">
              <OrderActionButton orderId={order.id} action={acceptPaymentAction} label="Accept this payment" pendingLabel="Accepting…" />
            </div>
          )}
        </Notice>
      )}
      <Card title="Details">
        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
          <Detail term="Item">{item.title}</Detail>
          <Detail term="Order id">
            <span className="font-mono text-xs break-all">{order.id}</span>
          </Detail>
          <Detail term="Buyer">{order.buyerEmail ?? "—"}</Detail>
          <Detail term="Whop checkout">
            <span className="font-mono text-xs break-all">{order.whopCheckoutId ?? "—"}</span>
          </Detail>
          <Detail term="Paid">{money(order.paidMinor, order.paidCurrency ?? order.currency)}</Detail>
          <Detail term="Refunded">
            {money(order.refundedMinor)}
            {position.pendingMinor > 0 && <span className="text-amber-800"> · {money(position.pendingMinor)} waiting for Whop</span>}
          </Detail>
          <Detail term="Membership">
            <span className="font-mono text-xs break-all">{order.whopMembershipId ?? "—"}</span>
            {order.membershipStatus && <span className="text-zinc-500"> ({order.membershipStatus})</span>}
            {order.membershipExpiresAt && <span className="text-zinc-500"> · until {formatDateTime(order.membershipExpiresAt)}</span>}
            {cancelPending && (
              <span className="ml-2 text-amber-800">
                · Cancellation requested{order.cancelRequestedMode === "at_period_end" ? " (at period end)" : ""}
              </span>
            )}
          </Detail>
          <Detail term="Access">
            {access.access ? <span className="text-emerald-800">Granted</span> : <span>No access — {NO_ACCESS_TEXT[access.reason!]}</span>}
          </Detail>
          {order.licenseKeyHint && (
            <Detail term="License key">
              <span className="font-mono text-xs">…{order.licenseKeyHint}</span>
            </Detail>
          )}
          {order.failureReason && <Detail term="Why it failed">{order.failureReason}</Detail>}
        </dl>
        {order.whopCheckoutId && (
          <div className="mt-6 border-t border-zinc-100 pt-4">
            <p className="mb-3 text-sm text-zinc-600">Missed a webhook? Read this order&apos;s payment, refunds, disputes and membership directly from Whop.</p>
            <OrderActionButton orderId={order.id} action={reconcileOrderAction} label="Check with Whop" pendingLabel="Checking with Whop…" />
          </div>
        )}
      </Card>
      <Card title="Ledger" description="Every payment, refund and dispute Whop reported for this order, each by its own Whop id.">
        {ledger.payments.length + ledger.refunds.length + ledger.disputes.length + openRequests.length === 0 ? (
          <p className="text-sm text-zinc-600">Nothing yet: Whop has reported no payment for this order.</p>
        ) : (
          <ul className="divide-y divide-zinc-100 text-sm" aria-label="Ledger">
            {ledger.payments.map((payment) => (
              <LedgerEntry key={payment.id} kind="Payment" id={payment.id} amount={money(payment.amountMinor, payment.currency)} status={payment.status} at={payment.paidAt ?? payment.createdAt}>
                {payment.billingReason && payment.billingReason !== "one_time" ? payment.billingReason.replaceAll("_", " ") : null}
              </LedgerEntry>
            ))}
            {ledger.refunds.map((refund) => (
              <LedgerEntry key={refund.id} kind="Refund" id={refund.migrated ? "recorded before the ledger" : refund.id} amount={money(refund.amountMinor, refund.currency)} status={refund.status.replace("_", " ")} at={refund.whopCreatedAt ?? refund.createdAt} />
            ))}
            {ledger.disputes.map((dispute) => (
              <LedgerEntry key={dispute.id} kind="Dispute" id={dispute.migrated ? "recorded before the ledger" : dispute.id} amount={money(dispute.amountMinor, dispute.currency)} status={dispute.whopStatus.replaceAll("_", " ")} at={dispute.createdAt}>
                {dispute.reason}
              </LedgerEntry>
            ))}
            {openRequests.map((request) => (
              <LedgerEntry key={request.id} kind="Refund asked" id={request.id} amount={money(request.amountMinor, request.currency)} status={REQUEST_STATE_TEXT[request.state]} at={request.createdAt}>
                {request.failure}
              </LedgerEntry>
            ))}
          </ul>
        )}
      </Card>
      {(refundable || cancelable) && (
        <Card title="After the sale" description="These ask Whop; the order changes once Whop confirms.">
          <div className="space-y-8">
            {refundable && isCurrency(order.currency) && (
              <section aria-label="Refund">
                <h3 className="mb-3 text-sm font-semibold text-zinc-900">Refund</h3>
                <RefundForm
                  orderId={order.id}
                  baseMinor={position.committedMinor}
                  leftText={money(position.leftMinor)}
                  leftMajor={toMajorString(position.leftMinor, order.currency)}
                  action={refundOrderAction}
                />
              </section>
            )}
            {cancelable && (
              <section aria-label="Membership" className={refundable ? "border-t border-zinc-100 pt-6" : ""}>
                <h3 className="mb-3 text-sm font-semibold text-zinc-900">Cancel the buyer&apos;s membership</h3>
                <CancelMembershipForm orderId={order.id} action={cancelMembershipAction} />
              </section>
            )}
          </div>
        </Card>
      )}
      <Card title="Timeline">
        <ol className="space-y-3 text-sm">
          <li>
            <span className="text-zinc-500">{formatDateTime(order.createdAt)}</span> — order created
            {order.whopCheckoutId ? `, Whop checkout ${order.whopCheckoutId}` : ""}
          </li>
          {events.map((event) => (
            <li key={event.id} className="break-words">
              <span className="text-zinc-500">{formatDateTime(event.receivedAt)}</span> — {event.eventType}{" "}
              <span className="text-zinc-500">({event.scheme === "reconcile" ? "read from Whop" : "webhook"}, {event.result})</span>
              {event.detail && <span className="text-zinc-600">: {event.detail}</span>}
            </li>
          ))}
        </ol>
      </Card>
    </>
  );
}

function LedgerEntry({ kind, id, amount, status, at, children }: { kind: string; id: string; amount: string; status: string; at: Date; children?: React.ReactNode }) {
  return (
    <li className="flex flex-wrap items-baseline gap-x-4 gap-y-1 py-2.5">
      <span className="w-24 shrink-0 font-medium text-zinc-900">{kind}</span>
      <span className="min-w-0 font-mono text-xs break-all text-zinc-600">{id}</span>
      <span className="tabular-nums">{amount}</span>
      <span className="text-zinc-700">{status}</span>
      <span className="text-zinc-500">{formatDateTime(at)}</span>
      {children && <span className="basis-full text-zinc-600 sm:basis-auto">{children}</span>}
    </li>
  );
}
