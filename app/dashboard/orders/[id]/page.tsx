import Link from "next/link";
import { notFound } from "next/navigation";
import { CancelMembershipForm } from "@/components/cancel-membership-form";
import { CopyableValue } from "@/components/copyable-value";
import { OrderActionButton } from "@/components/order-action-button";
import { OrderStatusWithFlags } from "@/components/order-status";
import { RefundForm } from "@/components/refund-form";
import { SubscriptionActions } from "@/components/subscription-actions";
import { SubscriptionStateBadge } from "@/components/subscription-state";
import { Card, Notice } from "@/components/ui/card";
import { Detail } from "@/components/ui/detail";
import { hasRole } from "@/lib/auth/roles";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { NO_ACCESS_TEXT, orderAccess } from "@/lib/ledger/access";
import { canRefund } from "@/lib/ledger/refunds";
import { openLicenseKey } from "@/lib/licenses/keys";
import { formatMoney, isCurrency, toMajorString, type Currency } from "@/lib/money";
import { canCancelMembership } from "@/lib/orders/after-sale";
import { orderView } from "@/lib/orders/view";
import { availableSubscriptionActions, SUBSCRIPTION_ACTION_LABEL, SUBSCRIPTION_ACTION_PENDING_TEXT, type SubscriptionAction } from "@/lib/subscriptions/actions";
import { billingLabel, everyText, isRenewal } from "@/lib/subscriptions/billing";
import { displayState, SUBSCRIPTION_STATE_MEANING } from "@/lib/subscriptions/lifecycle";
import { acceptPaymentAction, cancelMembershipAction, reconcileOrderAction, refundOrderAction, resetActivationsAction, subscriptionAction } from "./actions";

const SUBSCRIPTION_ACTION_HINT: Record<SubscriptionAction, string> = {
  cancel_at_period_end: "Stops renewing; the buyer keeps access until the current period ends.",
  cancel_now: "Ends the subscription and the buyer's access now. No refund is made.",
  resume: "Withdraws the cancellation: the subscription renews again.",
};

export const metadata = { title: "Order" };

const REQUEST_STATE_TEXT = {
  reserved: "being sent to Whop",
  requested: "asked of Whop, waiting for its refund",
  unknown: "Whop did not confirm; reconciliation asks again",
  failed: "not refunded",
} as const;

export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const { tenant, role } = await requireAccount();
  // A Viewer sees the order and no acting control (the use cases refuse their posts anyway).
  const acts = hasRole(role, "admin");
  const { id } = await params;
  const view = await orderView(tenant.id, id);
  if (!view) notFound();
  const { order, item, events, ledger, position, activations } = view;
  const licenseKey = openLicenseKey(order);
  const money = (minor: number | null, currency: string | null = order.currency) =>
    minor === null ? "—" : isCurrency(currency ?? order.currency) ? formatMoney(minor, (currency ?? order.currency) as Currency) : `${minor} ${currency}`;
  const access = orderAccess(order);
  const cancelPending = order.cancelRequestedAt !== null && order.membershipValid !== false;
  const refundable = acts && canRefund(order, position);
  // Everything left is asked of Whop or pending there: the form gives way to what is waiting.
  const refundWaiting = acts && !canRefund(order, position) && position.pendingMinor > 0 && (order.status === "paid" || order.status === "partially_refunded");
  const subscription = order.billingPeriodDays !== null;
  // A subscription has its own actions; the plain cancel is for one-time purchases.
  const cancelable = acts && !subscription && canCancelMembership(order);
  const subscriptionState = displayState(order);
  const actionPending = order.subscriptionAction !== null && order.subscriptionActionState !== null;
  const subscriptionChoices = acts && !actionPending ? availableSubscriptionActions(order) : [];
  const renewals = ledger.payments.filter((payment) => isRenewal(payment, order));
  const timeline = [
    ...events.map((event) => ({ key: `e${event.id}`, at: event.receivedAt, event, renewal: null })),
    ...renewals.map((payment) => ({ key: `r${payment.id}`, at: payment.paidAt ?? payment.whopCreatedAt ?? payment.createdAt, event: null, renewal: payment })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
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
          {differs && acts && (
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
            {money(order.refundedMinor, order.paidCurrency ?? order.currency)}
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
          {order.failureReason && <Detail term="Why it failed">{order.failureReason}</Detail>}
        </dl>
        {order.whopCheckoutId && acts && (
          <div className="mt-6 border-t border-zinc-100 pt-4">
            <p className="mb-3 text-sm text-zinc-600">Missed a webhook? Read this order&apos;s payment, refunds, disputes and membership directly from Whop.</p>
            <OrderActionButton orderId={order.id} action={reconcileOrderAction} label="Check with Whop" pendingLabel="Checking with Whop…" />
          </div>
        )}
      </Card>
      {subscription && (
        <Card title="Subscription" description={subscriptionState ? SUBSCRIPTION_STATE_MEANING[subscriptionState] : "Whop has not reported this subscription's membership yet."}>
          <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
            <Detail term="State">
              {subscriptionState ? <SubscriptionStateBadge state={subscriptionState} /> : "—"}
              {actionPending && (
                <span role="status" className="ml-2 text-amber-800">
                  · {SUBSCRIPTION_ACTION_PENDING_TEXT[order.subscriptionAction as SubscriptionAction]}
                  {order.subscriptionActionState === "unknown" ? " (Whop did not confirm; reconciliation asks again)" : ", waiting for Whop"}
                </span>
              )}
            </Detail>
            <Detail term="Billing">
              {billingLabel(order.billingPeriodDays)} · {money(order.amountMinor)} / {everyText(order.billingPeriodDays)}
              {order.trialPeriodDays ? <span className="text-zinc-500"> · {order.trialPeriodDays}-day free trial</span> : null}
            </Detail>
            <Detail term={subscriptionState === "trialing" ? "Trial ends" : subscriptionState === "canceling" ? "Access until" : "Current period ends"}>
              {order.currentPeriodEnd ? formatDateTime(order.currentPeriodEnd) : "—"}
            </Detail>
            <Detail term="Renewals">
              {renewals.filter((payment) => payment.status === "succeeded").length} paid
              {renewals.some((payment) => payment.status === "failed") && <span className="text-red-800"> · {renewals.filter((payment) => payment.status === "failed").length} failed</span>}
            </Detail>
          </dl>
          {/* Kept while an action waits for Whop, so its answer stays on screen (no buttons then). */}
          {acts && (subscriptionChoices.length > 0 || actionPending) && (
            <section aria-label="Subscription actions" className="mt-6 border-t border-zinc-100 pt-4">
              <SubscriptionActions
                orderId={order.id}
                action={subscriptionAction}
                actions={subscriptionChoices.map((choice) => ({ value: choice, label: SUBSCRIPTION_ACTION_LABEL[choice], hint: SUBSCRIPTION_ACTION_HINT[choice] }))}
              />
            </section>
          )}
        </Card>
      )}
      {licenseKey && (
        <Card title="License" description={access.access ? "Valid: the buyer's apps can activate it." : "Not valid while the order grants no access."}>
          <div className="space-y-4">
            <CopyableValue id="order-license-key" label="License key" value={licenseKey} copyLabel="Copy key" />
            <section aria-labelledby="activations-heading">
              <h3 id="activations-heading" className="text-sm font-semibold text-zinc-900">
                Activations{" "}
                <span className="font-normal text-zinc-600">
                  ({activations.length}
                  {item.activationLimit !== null ? ` of ${item.activationLimit}` : ""})
                </span>
              </h3>
              {activations.length === 0 ? (
                <p className="mt-1 text-sm text-zinc-600">Not active on any machine.</p>
              ) : (
                <ul className="mt-2 divide-y divide-zinc-100 text-sm">
                  {activations.map((activation) => (
                    <li key={activation.id} className="flex flex-wrap justify-between gap-x-4 py-1.5">
                      <span className="wrap-anywhere text-zinc-900">{activation.instanceName}</span>
                      <span className="text-xs text-zinc-500">since {formatDateTime(activation.createdAt)}</span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            {acts && (
              <OrderActionButton orderId={order.id} action={resetActivationsAction} label="Reset activations" pendingLabel="Resetting…" />
            )}
          </div>
        </Card>
      )}
      <Card title="Ledger" description="Every payment, refund and dispute Whop reported for this order, each by its own Whop id.">
        {ledger.payments.length + ledger.refunds.length + ledger.disputes.length + openRequests.length === 0 ? (
          <p className="text-sm text-zinc-600">Nothing yet: Whop has reported no payment for this order.</p>
        ) : (
          <ul className="divide-y divide-zinc-100 text-sm lg:grid lg:grid-cols-[auto_minmax(0,1fr)_auto_auto_auto] lg:gap-x-6" aria-label="Ledger">
            {ledger.payments.map((payment) => (
              <LedgerEntry key={payment.id} kind="Payment" id={payment.id} amount={money(payment.amountMinor, payment.currency)} status={payment.status} tone={rowTone(payment.status)} at={payment.paidAt ?? payment.createdAt}>
                {payment.billingReason && payment.billingReason !== "one_time" ? payment.billingReason.replaceAll("_", " ") : null}
              </LedgerEntry>
            ))}
            {ledger.refunds.map((refund) => (
              <LedgerEntry key={refund.id} kind="Refund" id={refund.migrated ? "recorded before the ledger" : refund.id} amount={money(refund.amountMinor, refund.currency)} status={refund.status.replaceAll("_", " ")} tone={rowTone(refund.status)} at={refund.whopCreatedAt ?? refund.createdAt} />
            ))}
            {ledger.disputes.map((dispute) => (
              <LedgerEntry key={dispute.id} kind="Dispute" id={dispute.migrated ? "recorded before the ledger" : dispute.id} amount={money(dispute.amountMinor, dispute.currency)} status={disputeStatusText(dispute)} tone={rowTone(dispute.phase)} at={dispute.createdAt}>
                {dispute.reason ? `Reason: ${dispute.reason.replaceAll("_", " ")}` : null}
              </LedgerEntry>
            ))}
            {openRequests.map((request) => (
              <LedgerEntry key={request.id} kind="Refund asked" id={request.id} amount={money(request.amountMinor, request.currency)} status={REQUEST_STATE_TEXT[request.state]} tone={request.state === "failed" ? "lost" : "waiting"} at={request.createdAt}>
                {request.failure}
              </LedgerEntry>
            ))}
          </ul>
        )}
      </Card>
      {(refundable || refundWaiting || cancelable) && (
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
            {refundWaiting && (
              <section aria-label="Refund">
                <h3 className="mb-3 text-sm font-semibold text-zinc-900">Refund</h3>
                <p role="status" className="text-sm text-zinc-700">
                  Nothing is left to refund: {money(position.pendingMinor)} is waiting for Whop. The order updates when Whop confirms it.
                </p>
              </section>
            )}
            {cancelable && (
              <section aria-label="Membership" className={refundable || refundWaiting ? "border-t border-zinc-100 pt-6" : ""}>
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
          {timeline.map(({ key, at, event, renewal }) =>
            renewal ? (
              <li key={key} className="break-words font-medium">
                <span className="font-normal text-zinc-500">{formatDateTime(at)}</span> — renewal {renewal.status === "succeeded" ? "paid" : renewal.status}: {money(renewal.amountMinor, renewal.currency)}{" "}
                <span className="font-mono text-xs font-normal text-zinc-600">{renewal.id}</span>
              </li>
            ) : (
              <li key={key} className="break-words">
                <span className="text-zinc-500">{formatDateTime(at)}</span> — {event!.eventType}{" "}
                <span className="text-zinc-500">({event!.scheme === "reconcile" ? "read from Whop" : "webhook"}, {event!.result})</span>
                {event!.detail && <span className="text-zinc-600">: {event!.detail}</span>}
              </li>
            ),
          )}
        </ol>
      </Card>
    </>
  );
}

type LedgerTone = "settled" | "waiting" | "lost" | "neutral";

const LEDGER_TONE: Record<LedgerTone, string> = {
  settled: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  waiting: "bg-amber-50 text-amber-900 ring-amber-200",
  lost: "bg-red-50 text-red-800 ring-red-200",
  neutral: "bg-zinc-100 text-zinc-700 ring-zinc-200",
};

function rowTone(status: string): LedgerTone {
  if (status === "succeeded" || status === "won") return "settled";
  if (status === "failed" || status === "lost" || status === "canceled") return "lost";
  if (status === "closed") return "neutral";
  return "waiting";
}

/** Whop's dispute status, with "open" before it while the bank has not decided. */
function disputeStatusText(dispute: { phase: string; whopStatus: string }): string {
  const whop = dispute.whopStatus.replaceAll("_", " ");
  return dispute.phase === "open" ? `open · ${whop}` : whop;
}

/**
 * One Ledger row. On a phone: kind and amount, then status and date, then the Whop id, stacked.
 * From lg up the rows share the list's columns (subgrid), so ids, statuses, dates and amounts line up.
 */
function LedgerEntry({ kind, id, amount, status, tone, at, children }: { kind: string; id: string; amount: string; status: string; tone: LedgerTone; at: Date; children?: React.ReactNode }) {
  return (
    <li className="grid grid-cols-[minmax(0,1fr)_auto] items-baseline gap-x-4 gap-y-1 py-3 lg:col-span-5 lg:grid-cols-subgrid lg:py-2.5">
      <span className="font-medium text-zinc-900 lg:order-1">{kind}</span>
      <span className="text-right font-medium tabular-nums text-zinc-900 lg:order-5">{amount}</span>
      <span className="col-span-2 flex flex-wrap items-baseline gap-x-2 gap-y-1 lg:contents">
        <span className={`inline-flex w-fit rounded-md px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset lg:order-3 lg:max-w-60 ${LEDGER_TONE[tone]}`}>{status}</span>
        <span className="text-xs text-zinc-500 lg:order-4 lg:text-sm">{formatDateTime(at)}</span>
      </span>
      <span className="col-span-2 min-w-0 font-mono text-xs break-all text-zinc-600 lg:order-2 lg:col-span-1">{id}</span>
      {children && <span className="col-span-2 text-xs text-zinc-600 lg:order-6 lg:col-span-4 lg:col-start-2 lg:-mt-1.5">{children}</span>}
    </li>
  );
}
