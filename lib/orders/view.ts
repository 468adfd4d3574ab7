import { readSnapshot } from "@/db/client";
import type { Item, LicenseActivation, Order, WebhookEvent } from "@/db/schema";
import { orderEvents } from "@/lib/ledger/events";
import { orderLedger, type OrderLedgerView } from "@/lib/ledger/queries";
import { refundPosition, type RefundPosition } from "@/lib/ledger/refunds";
import { listActivations } from "@/lib/licenses/licenses";
import { getOrder } from "./queries";

/** Everything the order page shows, as of one moment. */
export interface OrderView {
  order: Order;
  item: Item;
  events: WebhookEvent[];
  ledger: OrderLedgerView;
  position: RefundPosition;
  activations: LicenseActivation[];
}

/**
 * The order page's reads, from one snapshot: the order's status and flags are derived from its
 * ledger rows, and an event applied between two separate reads would show them disagreeing.
 */
export function orderView(tenantId: string, orderId: string): Promise<OrderView | undefined> {
  return readSnapshot(async (tx) => {
    const found = await getOrder(tenantId, orderId, tx);
    if (!found) return undefined;
    const { order } = found;
    const [events, ledger, position, activations] = await Promise.all([
      orderEvents(tenantId, order.id, tx),
      orderLedger(tenantId, order.id, tx),
      refundPosition(tx, order),
      order.licenseKeyCiphertext ? listActivations(tenantId, order.id, tx) : [],
    ]);
    return { ...found, events, ledger, position, activations };
  });
}
