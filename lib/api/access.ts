import { and, desc, eq, isNull, sql, type Placeholder, type SQL } from "drizzle-orm";
import { z } from "zod";
import { db, type Database } from "@/db/client";
import { preparedStatement } from "@/db/prepared";
import { apiTokenHashes, apiTokens, items, orders, type Order } from "@/db/schema";
import { orderAccess, type AccessFields, type AccessState } from "@/lib/ledger/access";
import { displayState, type SubscriptionState } from "@/lib/subscriptions/lifecycle";
import type { ApiScope } from "./scopes";
import { liveTokenColumns } from "./tokens";

/**
 * Who holds access, answered from what Whop's webhooks (and reconciliation) recorded on our
 * orders: no Whop call. A buyer has access to an item while one of their orders for it grants it
 * by the one access rule (lib/ledger/access.ts).
 */

/** The API's word for the membership: the one access rule's state. */
export type MembershipState = AccessState;

export const accessQuerySchema = z
  .object({
    item: z.string().trim().regex(/^item_[A-Za-z0-9]{20}$/, "must be an item id such as item_… (shown on the item's page)"),
    email: z.string().trim().max(320, "is too long").toLowerCase().pipe(z.email("must be an email address")).optional(),
    whop_user_id: z
      .string()
      .trim()
      .regex(/^user_[A-Za-z0-9]{1,40}$/, "must be a Whop user id such as user_…")
      .optional(),
  })
  .refine((query) => (query.email === undefined) !== (query.whop_user_id === undefined), {
    message: "give exactly one of email or whop_user_id",
    path: ["email"],
  });
export type AccessQuery = z.output<typeof accessQuerySchema>;

export interface MembershipView {
  order_id: string;
  whop_membership_id: string | null;
  state: MembershipState;
  whop_status: string | null;
  expires_at: string | null;
}

/** A subscription order's lifecycle, as the API shows it (null for a one-time purchase). */
export interface SubscriptionView {
  state: SubscriptionState | null;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
}

export type AccessAnswer =
  | { kind: "item_not_found" }
  | { kind: "answer"; body: { access: boolean; item: { id: string; title: string }; membership: MembershipView | null; subscription: SubscriptionView | null } };

type SubscriptionFields = Pick<Order, "billingPeriodDays" | "subscriptionState" | "currentPeriodEnd" | "cancelAtPeriodEnd">;

export function subscriptionView(order: SubscriptionFields, now = new Date()): SubscriptionView | null {
  if (order.billingPeriodDays === null) return null;
  return {
    state: displayState(order, now),
    current_period_end: order.currentPeriodEnd?.toISOString() ?? null,
    cancel_at_period_end: order.cancelAtPeriodEnd,
  };
}

/** The most orders one buyer is expected to hold for one item; beyond it the oldest are not looked at. */
const ORDERS_PER_BUYER = 50;

/** What the access answer reads of each of the buyer's orders. */
const orderColumns = {
  id: orders.id,
  status: orders.status,
  membershipValid: orders.membershipValid,
  membershipExpiresAt: orders.membershipExpiresAt,
  membershipStatus: orders.membershipStatus,
  whopMembershipId: orders.whopMembershipId,
  amountMismatch: orders.amountMismatch,
  amountAcceptedAt: orders.amountAcceptedAt,
  billingPeriodDays: orders.billingPeriodDays,
  subscriptionState: orders.subscriptionState,
  currentPeriodEnd: orders.currentPeriodEnd,
  cancelAtPeriodEnd: orders.cancelAtPeriodEnd,
};
type BuyerOrder = Pick<Order, keyof typeof orderColumns>;

type AccessBuyer = "email" | "whop_user_id";
type Bound = string | Placeholder;

/**
 * The access check's one round trip: the live token by its hash and, only when its scopes hold
 * `access:read`, the item (of the token's tenant) with the buyer's orders. No row: an unknown or
 * revoked token. `itemTitle` null: the token may not check access, or the item is not its tenant's.
 */
function accessSelect(database: Database, by: AccessBuyer, tokenHash: Bound, item: Bound, buyer: Bound) {
  const buyerMatch = by === "email" ? sql`lower(${orders.buyerEmail}) = ${buyer}` : eq(orders.whopUserId, buyer);
  return database
    .select({ token: liveTokenColumns, itemTitle: items.title, order: orderColumns })
    .from(apiTokenHashes)
    .innerJoin(apiTokens, and(eq(apiTokens.tenantId, apiTokenHashes.tenantId), eq(apiTokens.id, apiTokenHashes.tokenId), isNull(apiTokens.revokedAt)))
    .leftJoin(items, and(eq(items.tenantId, apiTokens.tenantId), eq(items.id, item), sql`${"access:read" satisfies ApiScope} = any(${apiTokens.scopes})`))
    .leftJoin(orders, and(eq(orders.tenantId, items.tenantId), eq(orders.itemId, items.id), buyerMatch))
    .where(eq(apiTokenHashes.tokenHash, tokenHash))
    .orderBy(desc(orders.createdAt))
    .limit(ORDERS_PER_BUYER);
}

function buyerKind(query: AccessQuery): { by: AccessBuyer; buyer: string } {
  return query.email !== undefined ? { by: "email", buyer: query.email } : { by: "whop_user_id", buyer: query.whop_user_id! };
}

type AccessValues = { tokenHash: string; item: string; buyer: string };
type AccessRow = Awaited<ReturnType<ReturnType<typeof accessSelect>["execute"]>>[number];

/** The API's busiest statement, prepared once per buyer kind (only its values change: db/prepared.ts). */
function preparedAccessSelect(by: AccessBuyer) {
  return preparedStatement<AccessValues, AccessRow[]>((database) =>
    accessSelect(database, by, sql.placeholder("tokenHash"), sql.placeholder("item"), sql.placeholder("buyer")).prepare(`access_by_token_and_${by}`),
  );
}
const ACCESS_BY = { email: preparedAccessSelect("email"), whop_user_id: preparedAccessSelect("whop_user_id") };

export function accessByTokenHash(tokenHash: string, query: AccessQuery) {
  const { by, buyer } = buyerKind(query);
  return ACCESS_BY[by](db(), { tokenHash, item: query.item, buyer });
}

/** accessByTokenHash's statement with these values, as SQL (for EXPLAIN). */
export function accessByTokenHashSql(tokenHash: string, query: AccessQuery): SQL {
  const { by, buyer } = buyerKind(query);
  return accessSelect(db(), by, tokenHash, query.item, buyer).getSQL();
}

/** The answer from the item's title and the buyer's orders (the rows of accessByTokenHash). */
export function accessAnswer(query: AccessQuery, rows: readonly { itemTitle: string | null; order: BuyerOrder | null }[], now = new Date()): AccessAnswer {
  const title = rows[0]?.itemTitle;
  if (title === undefined || title === null) return { kind: "item_not_found" };
  const item = { id: query.item, title };
  const states = rows.flatMap(({ order }) => (order ? [{ order, state: accessStateOf(order, now) }] : []));
  // The granting order if there is one, else the most telling one (ended beats never started).
  const best = states.find((s) => s.state === "valid") ?? states.find((s) => s.state !== "none") ?? states[0];
  return {
    kind: "answer",
    body: {
      access: best?.state === "valid",
      item,
      membership: best ? membershipView(best.order, best.state) : null,
      subscription: best ? subscriptionView(best.order, now) : null,
    },
  };
}

function membershipView(
  order: Pick<Order, "id" | "whopMembershipId" | "membershipStatus" | "membershipExpiresAt">,
  state: MembershipState,
): MembershipView {
  return {
    order_id: order.id,
    whop_membership_id: order.whopMembershipId,
    state,
    whop_status: order.membershipStatus,
    expires_at: order.membershipExpiresAt?.toISOString() ?? null,
  };
}

/** "valid" only when the order grants access; otherwise what the membership's state is. */
function accessStateOf(order: AccessFields, now: Date): MembershipState {
  return orderAccess(order, now).state;
}
