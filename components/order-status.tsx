import type { Order } from "@/db/schema";

const LOOK: Record<Order["status"], { label: string; className: string }> = {
  pending: { label: "Pending", className: "bg-amber-50 text-amber-800 ring-amber-200" },
  expired: { label: "Expired", className: "bg-zinc-100 text-zinc-700 ring-zinc-200" },
  paid: { label: "Paid", className: "bg-emerald-50 text-emerald-800 ring-emerald-200" },
  failed: { label: "Failed", className: "bg-red-50 text-red-800 ring-red-200" },
  refunded: { label: "Refunded", className: "bg-sky-50 text-sky-800 ring-sky-200" },
  partially_refunded: { label: "Partially refunded", className: "bg-sky-50 text-sky-800 ring-sky-200" },
  disputed: { label: "Disputed", className: "bg-purple-50 text-purple-800 ring-purple-200" },
  dispute_lost: { label: "Dispute lost", className: "bg-red-50 text-red-800 ring-red-200" },
};

export const orderStatusLabel = (status: Order["status"]) => LOOK[status].label;

export function OrderStatus({ status }: { status: Order["status"] }) {
  const look = LOOK[status];
  return <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${look.className}`}>{look.label}</span>;
}

type FlagFields = Pick<Order, "refundPending" | "amountMismatch">;

/** The two flags beside the status: a refund Whop has not settled, a payment that is not the order's amount. */
export function orderFlags(order: FlagFields): string[] {
  return [...(order.refundPending ? ["refund pending"] : []), ...(order.amountMismatch ? ["amount differs"] : [])];
}

export function OrderStatusWithFlags({ order }: { order: FlagFields & Pick<Order, "status"> }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-1">
      <OrderStatus status={order.status} />
      {orderFlags(order).map((flag) => (
        <span key={flag} className="inline-flex rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-inset ring-amber-200">
          {flag}
        </span>
      ))}
    </span>
  );
}
