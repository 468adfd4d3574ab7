import { and, asc, eq, inArray, isNull, sql, type Placeholder } from "drizzle-orm";
import type { Transaction } from "@/db/client";
import { preparedStatement } from "@/db/prepared";
import { items, ledgerDisputes, ledgerPayments, ledgerRefunds, orders, refundRequests, type LedgerDispute, type LedgerPayment, type LedgerRefund, type Order } from "@/db/schema";
import { isRenewal } from "@/lib/subscriptions/billing";
import { fromMajorString, isCurrency } from "@/lib/money";
import { recordOrderChange } from "@/lib/outbound/outbox";
import { reportProblem } from "@/lib/problems/report";
import { applyMembershipReport, type MembershipFacts } from "@/lib/subscriptions/lifecycle";
import { membershipStatusValid } from "./access";
import { advanceDispute, advancePayment, advanceRefund, deriveOrder, DISPUTE_RANK, REFUND_RANK, type DerivedOrder } from "./derive";
import { lockOrderFor } from "./find";
import { licenseKeyDigest, newLicenseKey, sealLicenseKey } from "@/lib/licenses/keys";
import type { DisputeFact, MembershipFact, Observation, PaymentFact, RefundFact } from "./observations";

/*
 * Applying one observation to the ledger, inside the caller's transaction: find and lock the order,
 * upsert the payment, refund or dispute row by its Whop id (forward-only in its lifecycle), then
 * derive the order's status and amounts from all its rows and write them. Applying the same facts
 * again changes nothing.
 */

/** What an observation did; recorded on its event row. */
export interface Application {
  result: "applied" | "ignored";
  detail: string;
  orderId: string | null;
}

/** The detail of an event that matched none of the tenant's orders (it may be applied again later). */
export const NO_MATCHING_ORDER = "no order of this account matches the event";

export interface ApplyOptions {
  /** Raise the "unmatched payment" problem (not when the merchant applies an old event again). */
  reportUnmatched?: boolean;
  now?: Date;
}

export async function applyObservation(tx: Transaction, tenantId: string, observation: Observation, options: ApplyOptions = {}): Promise<Application> {
  if (observation.kind === "none") return { result: "ignored", detail: observation.reason, orderId: null };
  const paymentId = observation.kind === "payment" ? observation.payment.id : observation.locator.paymentId;
  if (paymentId) await lockPayment(tx, tenantId, paymentId);
  const order = await lockOrderFor(tx, tenantId, observation.locator);
  switch (observation.kind) {
    case "payment":
      return applyPayment(tx, tenantId, order, observation.payment, options);
    case "refund":
      return applyRefund(tx, tenantId, order, observation.refund);
    case "dispute":
      return applyDispute(tx, tenantId, order, observation.dispute);
    case "membership":
      return applyMembership(tx, tenantId, order, observation.membership, observation.occurredAt ?? options.now ?? new Date());
  }
}

/**
 * Serialises everything said about one Whop payment, before any order row is locked (so the lock
 * order is always payment, then order). Without it a dispute — which carries no metadata, only its
 * payment id — read while that payment's first event is still uncommitted finds no order, and the
 * payment's transaction, not yet seeing the dispute, links nothing: the dispute would stay orphaned.
 */
async function lockPayment(tx: Transaction, tenantId: string, paymentId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`ledger:${tenantId}:${paymentId}`}, 0))`);
}

// ---------------------------------------------------------------------------------------------
// Rows

/** Whop's decimal text as minor units of `currency`; null when absent, unknown or not exact. */
function minorOf(major: string | null, currency: string | null): number | null {
  if (major === null || currency === null || !isCurrency(currency)) return null;
  return fromMajorString(major, currency) ?? null;
}

/** `CASE <column> WHEN 'a' THEN 0 … END`: a lifecycle rank in SQL, so an upsert never moves a row back. */
function rankOf(column: string, ranks: Record<string, number>) {
  const arms = Object.entries(ranks).map(([status, rank]) => `WHEN '${status}' THEN ${rank}`);
  return sql.raw(`(CASE ${column} ${arms.join(" ")} END)`);
}

async function applyPayment(tx: Transaction, tenantId: string, order: Order | undefined, fact: PaymentFact, { reportUnmatched = true }: ApplyOptions): Promise<Application> {
  if (!order) {
    if (reportUnmatched && fact.status === "succeeded") {
      await reportProblem(tenantId, "unmatched_payment", `Whop reported payment ${fact.id} that matches none of your orders.`, tx);
    }
    return { result: "ignored", detail: NO_MATCHING_ORDER, orderId: null };
  }
  const currency = fact.currency ?? order.currency;
  const [previous] = await paymentStatus(tx, { tenantId, id: fact.id });
  const moves = !previous || advancePayment(previous.status, fact.status) !== previous.status;
  const row = {
    tenantId,
    id: fact.id,
    orderId: order.id,
    status: fact.status,
    amountMinor: minorOf(fact.totalMajor ?? fact.subtotalMajor, currency),
    subtotalMinor: minorOf(fact.subtotalMajor ?? fact.totalMajor, currency),
    currency,
    whopStatus: fact.whopStatus,
    whopSubstatus: fact.whopSubstatus,
    billingReason: fact.billingReason,
    paidAt: fact.status === "succeeded" ? (fact.paidAt ?? new Date()) : null,
    whopCreatedAt: fact.createdAt ?? fact.paidAt,
  };
  const linking: Promise<unknown>[] = [];
  if (!previous) {
    await insertPayment(tx, row);
    // Refunds and disputes that arrived before their payment join the order now.
    const link = { tenantId, orderId: order.id, paymentId: fact.id };
    linking.push(linkRefunds(tx, link), linkDisputes(tx, link));
  } else if (moves) {
    await tx
      .update(ledgerPayments)
      .set({ ...row, paidAt: sql`coalesce(${ledgerPayments.paidAt}, ${row.paidAt?.toISOString() ?? null}::timestamptz)`, updatedAt: new Date() })
      .where(and(eq(ledgerPayments.tenantId, tenantId), eq(ledgerPayments.id, fact.id)));
  }
  await Promise.all(linking);

  const identity: Partial<Order> = {};
  if (!order.whopPaymentId) identity.whopPaymentId = fact.id;
  if (fact.membershipId && !order.whopMembershipId) identity.whopMembershipId = fact.membershipId;
  if (fact.membershipStatus && !order.membershipStatus && (order.whopMembershipId ?? fact.membershipId) === fact.membershipId) {
    identity.membershipStatus = fact.membershipStatus;
  }
  if (fact.userId && !order.whopUserId) identity.whopUserId = fact.userId;
  if (fact.userEmail && !order.buyerEmail) identity.buyerEmail = fact.userEmail;

  const rowNote = moves ? `payment ${fact.id} ${previous ? `${previous.status} → ` : ""}${fact.status}` : null;
  return writeDerived(tx, tenantId, order, identity, rowNote);
}

async function applyRefund(tx: Transaction, tenantId: string, order: Order | undefined, fact: RefundFact): Promise<Application> {
  const currency = fact.currency ?? order?.currency ?? null;
  const amountMinor = minorOf(fact.amountMajor, currency);
  const table = "ledger_refunds";
  const [previous] = await tx
    .select({ status: ledgerRefunds.status, orderId: ledgerRefunds.orderId })
    .from(ledgerRefunds)
    .where(and(eq(ledgerRefunds.tenantId, tenantId), eq(ledgerRefunds.id, fact.id)));
  await tx
    .insert(ledgerRefunds)
    .values({ tenantId, id: fact.id, orderId: order?.id ?? null, paymentId: fact.paymentId, status: fact.status, amountMinor, currency, whopCreatedAt: fact.createdAt })
    .onConflictDoUpdate({
      target: [ledgerRefunds.tenantId, ledgerRefunds.id],
      set: {
        status: sql`case when ${rankOf("excluded.status", REFUND_RANK)} > ${rankOf(`${table}.status`, REFUND_RANK)} then excluded.status else ${ledgerRefunds.status} end`,
        orderId: sql`coalesce(${ledgerRefunds.orderId}, excluded.order_id)`,
        amountMinor: sql`coalesce(${ledgerRefunds.amountMinor}, excluded.amount_minor)`,
        currency: sql`coalesce(${ledgerRefunds.currency}, excluded.currency)`,
        updatedAt: sql`case when ${rankOf("excluded.status", REFUND_RANK)} > ${rankOf(`${table}.status`, REFUND_RANK)} then now() else ${ledgerRefunds.updatedAt} end`,
      },
    });
  const moved = !previous || advanceRefund(previous.status, fact.status) !== previous.status;
  const note = moved ? `refund ${fact.id} ${previous ? `${previous.status} → ` : ""}${fact.status}` : null;
  if (!order) {
    if (!note) return { result: "ignored", detail: `no change (refund ${fact.id} already ${previous!.status})`, orderId: null };
    return { result: "applied", detail: `${note}; its payment ${fact.paymentId} matches no order yet, it joins when it does`, orderId: null };
  }

  // A refund the merchant asked for from the dashboard: the oldest open request of this payment and amount.
  if (amountMinor !== null) {
    const open = tx
      .select({ id: refundRequests.id })
      .from(refundRequests)
      .where(
        and(
          eq(refundRequests.tenantId, tenantId),
          eq(refundRequests.orderId, order.id),
          eq(refundRequests.paymentId, fact.paymentId),
          eq(refundRequests.amountMinor, amountMinor),
          isNull(refundRequests.whopRefundId),
          sql`${refundRequests.state} <> 'failed'`,
        ),
      )
      .orderBy(asc(refundRequests.createdAt))
      .limit(1);
    const alreadyMatched = tx
      .select({ id: refundRequests.id })
      .from(refundRequests)
      .where(and(eq(refundRequests.tenantId, tenantId), eq(refundRequests.whopRefundId, fact.id)));
    await tx
      .update(refundRequests)
      .set({ whopRefundId: fact.id, state: "requested", settledAt: new Date() })
      .where(and(eq(refundRequests.tenantId, tenantId), sql`${refundRequests.id} = (${open})`, sql`not exists (${alreadyMatched})`));
  }
  return writeDerived(tx, tenantId, order, {}, note);
}

async function applyDispute(tx: Transaction, tenantId: string, order: Order | undefined, fact: DisputeFact): Promise<Application> {
  const currency = fact.currency ?? order?.currency ?? null;
  const table = "ledger_disputes";
  const advances = sql`${rankOf("excluded.phase", DISPUTE_RANK)} >= ${rankOf(`${table}.phase`, DISPUTE_RANK)} and ${ledgerDisputes.phase} = 'open'`;
  const [previous] = await tx
    .select({ phase: ledgerDisputes.phase, whopStatus: ledgerDisputes.whopStatus })
    .from(ledgerDisputes)
    .where(and(eq(ledgerDisputes.tenantId, tenantId), eq(ledgerDisputes.id, fact.id)));
  await tx
    .insert(ledgerDisputes)
    .values({
      tenantId,
      id: fact.id,
      orderId: order?.id ?? null,
      paymentId: fact.paymentId,
      phase: fact.phase,
      whopStatus: fact.whopStatus,
      amountMinor: minorOf(fact.amountMajor, currency),
      currency,
      reason: fact.reason,
      needsResponseBy: fact.needsResponseBy,
    })
    .onConflictDoUpdate({
      target: [ledgerDisputes.tenantId, ledgerDisputes.id],
      set: {
        // While open, the latest word of Whop's stands; once decided, nothing changes it.
        phase: sql`case when ${advances} then excluded.phase else ${ledgerDisputes.phase} end`,
        whopStatus: sql`case when ${advances} then excluded.whop_status else ${ledgerDisputes.whopStatus} end`,
        orderId: sql`coalesce(${ledgerDisputes.orderId}, excluded.order_id)`,
        amountMinor: sql`coalesce(${ledgerDisputes.amountMinor}, excluded.amount_minor)`,
        currency: sql`coalesce(${ledgerDisputes.currency}, excluded.currency)`,
        reason: sql`coalesce(excluded.reason, ${ledgerDisputes.reason})`,
        needsResponseBy: sql`coalesce(excluded.needs_response_by, ${ledgerDisputes.needsResponseBy})`,
        updatedAt: sql`now()`,
      },
    });
  const moved = !previous || advanceDispute(previous, fact).whopStatus !== previous.whopStatus;
  const note = moved ? `dispute ${fact.id} ${previous ? `${previous.whopStatus} → ` : ""}${fact.whopStatus}` : null;
  if (!order) {
    if (!note) return { result: "ignored", detail: `no change (dispute ${fact.id} already ${previous!.whopStatus})`, orderId: null };
    return { result: "applied", detail: `${note}; its payment ${fact.paymentId} matches no order yet, it joins when it does`, orderId: null };
  }
  return writeDerived(tx, tenantId, order, {}, note);
}

async function applyMembership(tx: Transaction, tenantId: string, order: Order | undefined, fact: MembershipFact, at: Date): Promise<Application> {
  if (!order) return { result: "ignored", detail: NO_MATCHING_ORDER, orderId: null };
  // An order's membership is the first one Whop reports for its checkout; another id carrying the
  // same metadata (a second purchase, a copied checkout) is not this order's to end or extend.
  if (order.whopMembershipId && order.whopMembershipId !== fact.id) {
    return { result: "ignored", detail: `membership ${fact.id} is not this order's membership (${order.whopMembershipId})`, orderId: order.id };
  }
  // The newest report wins (of two of the same instant, the one further along the lifecycle).
  const recorded: MembershipFacts = { at: order.membershipEventAt, status: order.membershipStatus, valid: order.membershipValid, cancelAtPeriodEnd: order.cancelAtPeriodEnd, periodEnd: order.currentPeriodEnd };
  const next = applyMembershipReport(recorded, { at, status: fact.status, valid: fact.valid, cancelAtPeriodEnd: fact.cancelAtPeriodEnd, periodEnd: fact.renewalPeriodEnd });
  if (next === recorded) {
    return { result: "ignored", detail: "older than the membership state already recorded", orderId: order.id };
  }
  const valid = fact.valid ?? membershipStatusValid(fact.status) ?? order.membershipValid;
  const change: Partial<Order> = { whopMembershipId: fact.id, membershipEventAt: at };
  const notes: string[] = [];
  if (valid !== order.membershipValid) {
    change.membershipValid = valid;
    notes.push(`membership ${valid ? "valid" : "ended"}`);
  }
  if (fact.status && fact.status !== order.membershipStatus) change.membershipStatus = fact.status;
  if (next.cancelAtPeriodEnd !== order.cancelAtPeriodEnd) {
    change.cancelAtPeriodEnd = next.cancelAtPeriodEnd;
    notes.push(next.cancelAtPeriodEnd ? "cancels at period end" : "no longer cancels at period end");
  }
  if ((next.periodEnd?.getTime() ?? null) !== (order.currentPeriodEnd?.getTime() ?? null)) {
    change.currentPeriodEnd = next.periodEnd;
    if (next.periodEnd && order.billingPeriodDays !== null) notes.push(`current period ends ${next.periodEnd.toISOString()}`);
  }
  // The merchant's cancel or resume, confirmed by Whop: no longer shown as requested.
  if (order.subscriptionAction && actionConfirmed(order.subscriptionAction, { ...next, valid })) {
    change.subscriptionAction = null;
    change.subscriptionActionState = null;
    change.subscriptionActionAt = null;
    notes.push(`${order.subscriptionAction.replaceAll("_", " ")} confirmed by Whop`);
  }
  if ((fact.expiresAt?.getTime() ?? null) !== (order.membershipExpiresAt?.getTime() ?? null)) {
    change.membershipExpiresAt = fact.expiresAt;
    if (fact.expiresAt) notes.push(`membership ends ${fact.expiresAt.toISOString()}`);
  }
  // Whop's own key (a product with its Software Licensing) is the order's key, instead of one of ours.
  if (fact.licenseKey && licenseKeyDigest(fact.licenseKey) !== order.licenseKeyHash) {
    Object.assign(change, sealLicenseKey(tenantId, order.id, fact.licenseKey));
    notes.push("license key recorded");
  }
  if (fact.userId && !order.whopUserId) change.whopUserId = fact.userId;
  if (fact.userEmail && !order.buyerEmail) change.buyerEmail = fact.userEmail;

  const effective = Object.keys(change).some((key) => key !== "membershipEventAt" && !same(order[key as keyof Order], change[key as keyof Order]));
  // Written with what the ledger derives (a subscription's state), and the merchant's own webhooks, in this transaction.
  const applied = await writeDerived(tx, tenantId, order, change, notes.join("; ") || null);
  if (!effective && !applied.detail.includes("subscription")) return { result: "ignored", detail: "no change (membership already recorded)", orderId: order.id };
  return { result: "applied", detail: applied.detail || "membership details recorded", orderId: order.id };
}

/** Whether a membership report shows the merchant's requested action done. */
function actionConfirmed(action: string, facts: MembershipFacts): boolean {
  if (action === "cancel_at_period_end") return facts.cancelAtPeriodEnd || facts.status === "canceled" || facts.status === "expired";
  if (action === "cancel_now") return facts.valid === false || facts.status === "canceled" || facts.status === "expired";
  if (action === "resume") return !facts.cancelAtPeriodEnd;
  return false;
}

// ---------------------------------------------------------------------------------------------
// The order, derived

/** Reads the order's rows (statements pipelined) and derives its status and amounts. */
export async function deriveFromLedger(tx: Transaction, tenantId: string, order: Order): Promise<DerivedOrder> {
  return (await deriveWithPayments(tx, tenantId, order)).derived;
}

async function deriveWithPayments(tx: Transaction, tenantId: string, order: Order): Promise<{ derived: DerivedOrder; payments: LedgerPayment[] }> {
  const ofOrder = { tenantId, orderId: order.id };
  const [payments, refunds, disputes, [outstanding]] = await Promise.all([paymentsOf(tx, ofOrder), refundsOf(tx, ofOrder), disputesOf(tx, ofOrder), outstandingRequestsOf(tx, ofOrder)]);
  return { derived: deriveOrder(order, { payments, refunds, disputes, outstandingRequests: Number(outstanding?.count ?? 0) }), payments };
}

/**
 * Marks which of a subscription order's payments are renewals (a `subscription_cycle` payment
 * after its first succeeded one), derived like the order from all its rows: a payment that turns
 * out to be the first after all (an earlier one arrived late) stops being one.
 */
export async function markRenewals(tx: Transaction, tenantId: string, order: Pick<Order, "billingPeriodDays">, paidAt: Date | null, payments: readonly Pick<LedgerPayment, "id" | "renewal" | "billingReason" | "status" | "paidAt">[]): Promise<void> {
  if (order.billingPeriodDays === null) return;
  const flips = payments.filter((payment) => (payment.status === "succeeded" && isRenewal(payment, { paidAt })) !== payment.renewal);
  for (const renewal of [true, false]) {
    const ids = flips.filter((payment) => !payment.renewal === renewal).map((payment) => payment.id);
    if (ids.length > 0) await tx.update(ledgerPayments).set({ renewal }).where(and(eq(ledgerPayments.tenantId, tenantId), inArray(ledgerPayments.id, ids)));
  }
}

/** Derives the order from its rows and writes what changed, with the merchant's webhooks for it. */
async function writeDerived(tx: Transaction, tenantId: string, order: Order, identity: Partial<Order>, rowNote: string | null): Promise<Application> {
  // Derived from the order as this change leaves it (a membership report moves a subscription's state).
  const keyless = order.licenseKeyHash === null && identity.licenseKeyHash === undefined;
  const [{ derived, payments }, item] = await Promise.all([deriveWithPayments(tx, tenantId, { ...order, ...identity }), itemOf(tx, tenantId, order.itemId)]);
  await markRenewals(tx, tenantId, order, derived.paidAt, payments);
  const change: Partial<Order> = { ...identity };
  // The first succeeded payment of an item that issues license keys gives the order one of ours,
  // under the order's row lock: exactly once, whatever replays or concurrent events follow.
  if (keyless && item.issueLicenseKeys && derived.paidAt !== null) {
    Object.assign(change, sealLicenseKey(tenantId, order.id, newLicenseKey()));
  }
  const issued = change.licenseKeyHash !== undefined && identity.licenseKeyHash === undefined;
  for (const [key, value] of Object.entries(derived) as [keyof DerivedOrder, DerivedOrder[keyof DerivedOrder]][]) {
    if (!same(order[key], value)) (change as Record<string, unknown>)[key] = value;
  }
  const notes = [rowNote, issued ? "license key issued" : null, change.status ? `order ${order.status} → ${change.status}` : null].filter((note): note is string => note !== null);
  if (change.refundPending !== undefined) notes.push(change.refundPending ? "refund pending" : "no refund pending");
  if (change.amountMismatch === true) notes.push("amount differs from the order's");
  if (change.subscriptionState !== undefined && change.subscriptionState !== null) notes.push(`subscription ${order.subscriptionState ?? "new"} → ${change.subscriptionState}`);

  if (Object.keys(change).length === 0) {
    return { result: rowNote ? "applied" : "ignored", detail: rowNote ?? `no change (order already ${order.status})`, orderId: order.id };
  }
  const now = new Date();
  // The order as this update leaves it (the order is locked and no trigger rewrites it), so the
  // update and the merchant's own webhooks for it (transactional outbox) go out together.
  const written: Order = { ...order, ...change, updatedAt: now };
  await Promise.all([
    tx
      .update(orders)
      .set({ ...change, updatedAt: now })
      .where(and(eq(orders.tenantId, tenantId), eq(orders.id, order.id))),
    recordOrderChange(tx, tenantId, order, written, now, { itemTitle: item.title, payments }),
  ]);
  if (change.amountMismatch === true) {
    await reportProblem(tenantId, "amount_mismatch", `Order ${order.id}: Whop charged a different amount or currency than the order's. It grants no access until you accept it on the order page or refund it.`, tx);
  }
  return { result: "applied", detail: notes.join("; ") || "details recorded", orderId: order.id };
}

/** What the apply needs of the order's item: whether it issues license keys, its title for the merchant's webhooks. */
async function itemOf(tx: Transaction, tenantId: string, itemId: string): Promise<{ title: string; issueLicenseKeys: boolean }> {
  const [item] = await itemForApply(tx, { tenantId, itemId });
  return item ?? { title: "", issueLicenseKeys: false };
}

/** Derives the (locked) order again after something other than an observation changed its inputs. */
export function rederiveOrder(tx: Transaction, tenantId: string, order: Order): Promise<Application> {
  return writeDerived(tx, tenantId, order, {}, null);
}

function same(current: unknown, next: unknown): boolean {
  if (current instanceof Date && next instanceof Date) return current.getTime() === next.getTime();
  return current === next;
}

// ---------------------------------------------------------------------------------------------
// The apply's statements that run on every event, prepared once (db/prepared.ts)

const tenantParam = sql.placeholder("tenantId");
const orderParam = sql.placeholder("orderId");
type OfOrder = { tenantId: string; orderId: string };

const paymentStatus = preparedStatement<{ tenantId: string; id: string }, { status: LedgerPayment["status"] }[]>((database) =>
  database
    .select({ status: ledgerPayments.status })
    .from(ledgerPayments)
    .where(and(eq(ledgerPayments.tenantId, tenantParam), eq(ledgerPayments.id, sql.placeholder("id"))))
    .prepare("ledger_payment_status"),
);

const PAYMENT_COLUMNS = ["tenantId", "id", "orderId", "status", "amountMinor", "subtotalMinor", "currency", "whopStatus", "whopSubstatus", "billingReason"] as const;
type NewPayment = Pick<typeof ledgerPayments.$inferInsert, (typeof PAYMENT_COLUMNS)[number]> & { paidAt: Date | null; whopCreatedAt: Date | null };

const insertPaymentRow = preparedStatement<Omit<NewPayment, "paidAt" | "whopCreatedAt"> & { paidAt: string | null; whopCreatedAt: string | null }, unknown>((database) =>
  database
    .insert(ledgerPayments)
    .values({
      ...(Object.fromEntries(PAYMENT_COLUMNS.map((column) => [column, sql.placeholder(column)])) as Record<(typeof PAYMENT_COLUMNS)[number], Placeholder>),
      // A timestamp placeholder's encoder refuses null: these go as ISO text, typed by the column.
      paidAt: sql`${sql.placeholder("paidAt")}`,
      whopCreatedAt: sql`${sql.placeholder("whopCreatedAt")}`,
    })
    .prepare("ledger_payment_insert"),
);

function insertPayment(tx: Transaction, row: NewPayment) {
  return insertPaymentRow(tx, { ...row, paidAt: row.paidAt?.toISOString() ?? null, whopCreatedAt: row.whopCreatedAt?.toISOString() ?? null });
}

type Link = OfOrder & { paymentId: string };
/** Refunds or disputes that arrived before their payment join its order. */
function linkEarlyRows(table: typeof ledgerRefunds | typeof ledgerDisputes, name: string) {
  return preparedStatement<Link, unknown>((database) =>
    database
      .update(table)
      .set({ orderId: sql`${orderParam}` })
      .where(and(eq(table.tenantId, tenantParam), eq(table.paymentId, sql.placeholder("paymentId")), isNull(table.orderId)))
      .prepare(name),
  );
}
const linkRefunds = linkEarlyRows(ledgerRefunds, "ledger_refunds_link");
const linkDisputes = linkEarlyRows(ledgerDisputes, "ledger_disputes_link");

const paymentsOf = preparedStatement<OfOrder, LedgerPayment[]>((database) =>
  database.select().from(ledgerPayments).where(and(eq(ledgerPayments.tenantId, tenantParam), eq(ledgerPayments.orderId, orderParam))).prepare("ledger_payments_of_order"),
);
const refundsOf = preparedStatement<OfOrder, LedgerRefund[]>((database) =>
  database.select().from(ledgerRefunds).where(and(eq(ledgerRefunds.tenantId, tenantParam), eq(ledgerRefunds.orderId, orderParam))).prepare("ledger_refunds_of_order"),
);
const disputesOf = preparedStatement<OfOrder, LedgerDispute[]>((database) =>
  database.select().from(ledgerDisputes).where(and(eq(ledgerDisputes.tenantId, tenantParam), eq(ledgerDisputes.orderId, orderParam))).prepare("ledger_disputes_of_order"),
);
/** The merchant's refund requests still open (not matched to a Whop refund, not failed). */
const outstandingRequestsOf = preparedStatement<OfOrder, { count: number }[]>((database) =>
  database
    .select({ count: sql<number>`count(*)::int` })
    .from(refundRequests)
    .where(and(eq(refundRequests.tenantId, tenantParam), eq(refundRequests.orderId, orderParam), isNull(refundRequests.whopRefundId), sql`${refundRequests.state} <> 'failed'`))
    .prepare("refund_requests_outstanding"),
);

const itemForApply = preparedStatement<{ tenantId: string; itemId: string }, { title: string; issueLicenseKeys: boolean }[]>((database) =>
  database
    .select({ title: items.title, issueLicenseKeys: items.issueLicenseKeys })
    .from(items)
    .where(and(eq(items.tenantId, tenantParam), eq(items.id, sql.placeholder("itemId"))))
    .prepare("item_for_apply"),
);
