import Link from "next/link";
import { notFound } from "next/navigation";
import { OrderStatus } from "@/components/order-status";
import { CancelMembershipForm } from "@/components/cancel-membership-form";
import { ReconcileButton } from "@/components/reconcile-button";
import { RefundForm } from "@/components/refund-form";
import { Detail } from "@/components/ui/detail";
import { Card, Notice } from "@/components/ui/card";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { formatMoney, toMajorString, type Currency } from "@/lib/money";
import { canCancelMembership, canRefund, refundPosition } from "@/lib/orders/after-sale";
import { getOrder, orderEvents } from "@/lib/orders/queries";
import { cancelMembershipAction, reconcileOrderAction, refundOrderAction } from "./actions";

export const metadata = { title: "Order" };

export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const { tenant } = await requireAccount();
  const { id } = await params;
  const found = await getOrder(tenant.id, id);
  if (!found) notFound();
  const { order, item } = found;
  const events = await orderEvents(tenant.id, order.id);
  const money = (minor: number) => formatMoney(minor, order.currency as Currency);
  const refunds = refundPosition(order);
  const cancelPending = order.cancelRequestedAt !== null && order.membershipValid !== false;
  const refundable = canRefund(order);
  const cancelable = canCancelMembership(order);

  return (
    <>
      <Link href="/dashboard/orders" className="text-sm text-zinc-600 hover:underline">
        ← Orders
      </Link>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{money(order.amountMinor)}</h1>
        <OrderStatus status={order.status} />
      </div>
      {order.amountMismatch && (
        <Notice tone="warning">
          Whop reported {order.paidMinor !== null && order.paidCurrency ? formatMoney(order.paidMinor, order.paidCurrency as Currency) : "a different amount"} for this order,
          not {money(order.amountMinor)}. Check the payment in your Whop dashboard.
        </Notice>
      )}
      <Card title="Details">
        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
          <Detail term="Item">{item.title}</Detail>
          <Detail term="Order id">
            <span className="font-mono text-xs">{order.id}</span>
          </Detail>
          <Detail term="Buyer">{order.buyerEmail ?? "—"}</Detail>
          <Detail term="Whop payment">
            <span className="font-mono text-xs">{order.whopPaymentId ?? "—"}</span>
          </Detail>
          <Detail term="Whop checkout">
            <span className="font-mono text-xs">{order.whopCheckoutId ?? "—"}</span>
          </Detail>
          <Detail term="Membership">
            {order.membershipValid === null ? "—" : order.membershipValid ? "Valid" : "Ended"}
            {order.membershipStatus && <span className="text-zinc-500"> ({order.membershipStatus})</span>}
            {order.membershipExpiresAt && <span className="text-zinc-500"> · until {formatDateTime(order.membershipExpiresAt)}</span>}
            {cancelPending && (
              <span className="ml-2 text-amber-800">
                · Cancellation requested{order.cancelRequestedMode === "at_period_end" ? " (at period end)" : ""}
              </span>
            )}
          </Detail>
          {order.licenseKeyHint && (
            <Detail term="License key">
              <span className="font-mono text-xs">…{order.licenseKeyHint}</span>
            </Detail>
          )}
          {order.refundedMinor > 0 && <Detail term="Refunded">{money(order.refundedMinor)}</Detail>}
          {refunds.pendingMinor > 0 && (
            <Detail term="Refund requested">
              <span className="text-amber-800">{money(refunds.pendingMinor)}, waiting for Whop to confirm</span>
            </Detail>
          )}
          {order.failureReason && <Detail term="Why it failed">{order.failureReason}</Detail>}
        </dl>
        {order.whopCheckoutId && (
          <div className="mt-6 border-t border-zinc-100 pt-4">
            <p className="mb-3 text-sm text-zinc-600">Missed a webhook? Read this order&apos;s payment directly from Whop.</p>
            <ReconcileButton orderId={order.id} action={reconcileOrderAction} />
          </div>
        )}
      </Card>
      {(refundable || cancelable) && (
        <Card title="After the sale" description="These ask Whop; the order changes once Whop confirms.">
          <div className="space-y-8">
            {refundable && (
              <section aria-label="Refund">
                <h3 className="mb-3 text-sm font-semibold text-zinc-900">Refund</h3>
                <RefundForm
                  orderId={order.id}
                  baseMinor={refunds.committedMinor}
                  leftText={money(refunds.leftMinor)}
                  leftMajor={toMajorString(refunds.leftMinor, order.currency as Currency)}
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
            <li key={event.id}>
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
