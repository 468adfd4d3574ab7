import { and, eq, isNull, sql } from "drizzle-orm";
import { db } from "@/db/client";
import {
  items,
  ledgerDisputes,
  ledgerPayments,
  ledgerRefunds,
  orders,
  refundRequests,
  tenants,
  type Item,
  type LedgerDispute,
  type LedgerPayment,
  type LedgerRefund,
  type Order,
  type Tenant,
  type User,
} from "@/db/schema";
import { openEnvironment } from "@/lib/tenants/queries";
import { ownerActor } from "@/lib/auth/actor";
import { insertUser, signUp } from "@/lib/auth/accounts";
import { hashPassword } from "@/lib/auth/password";
import type { Role } from "@/lib/auth/roles";
import { accountMembers } from "@/db/schema-auth";
import { insertItem } from "@/lib/items/items";
import { encryptSecret, keyHint } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { newId, newItemSlug, randomBase62 } from "@/lib/ids";
import { deriveOrder } from "@/lib/ledger/derive";
import { markRenewals } from "@/lib/ledger/apply";
import { uniqueEmail } from "./db";
import { signBare, signLegacy, signStandard as signStandardWith } from "./signing";

/** Stores `apiKey` of `companyId` on the tenant, as onboarding does once Whop accepted it. */
async function connectTenant(tenantId: string, apiKey: string, companyId: string, title: string): Promise<Tenant> {
  const ciphertext = encryptSecret(apiKey, { tenantId, field: "whop_api_key" }, env().encryptionKeys);
  const [tenant] = await db()
    .update(tenants)
    .set({ whopCompanyId: companyId, whopCompanyTitle: title, whopApiKeyCiphertext: ciphertext, whopApiKeyHint: keyHint(apiKey), connectedAt: new Date(), keyVerifiedAt: new Date() })
    .where(eq(tenants.id, tenantId))
    .returning();
  return tenant!;
}

/** A merchant whose (Live) tenant is connected to a Whop company with `apiKey` (stored like onboarding does). */
export async function connectedMerchant(apiKey = `apik_${randomBase62(24)}`, companyId = `biz_${randomBase62(14)}`) {
  const result = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
  if (!result.ok) throw new Error("sign-up failed");
  const tenant = await connectTenant(result.tenant.id, apiKey, companyId, "Fixture Co");
  return { tenant, user: result.user, account: result.account, apiKey, actor: ownerActor(tenant, result.user) };
}

/** The merchant's account in Test (opened as the header's switch does), connected to a Whop sandbox company of its own. */
export async function connectedTestEnvironment(merchant: { user: User; account: { id: string } }, apiKey = `apik_${randomBase62(24)}`, companyId = `biz_${randomBase62(14)}`) {
  const opened = await db().transaction((tx) => openEnvironment(tx, merchant.account.id, "test"));
  const tenant = await connectTenant(opened!.id, apiKey, companyId, "Fixture Sandbox Co");
  return { tenant, user: merchant.user, account: merchant.account, apiKey, actor: ownerActor(tenant, merchant.user) };
}

export async function fixtureItem(tenant: Tenant, overrides: Partial<typeof items.$inferInsert> = {}): Promise<Item> {
  return db().transaction((tx) =>
    insertItem(tx, {
      id: newId("item"),
      tenantId: tenant.id,
      slug: newItemSlug(),
      title: "Premium template pack for creators",
      description: "Forty Figma templates",
      priceMinor: 2999,
      currency: "usd",
      whopProductId: `prod_${randomBase62(8)}`,
      ...overrides,
    }),
  );
}

/** A pending order with a Whop checkout, as the buyer path leaves it. */
export async function fixtureOrder(tenant: Tenant, item: Item, overrides: Partial<typeof orders.$inferInsert> = {}): Promise<Order> {
  const [order] = await db()
    .insert(orders)
    .values({
      id: newId("ord"),
      tenantId: tenant.id,
      itemId: item.id,
      amountMinor: item.priceMinor,
      currency: item.currency,
      attemptId: randomBase62(24),
      whopCheckoutId: `ch_${randomBase62(15)}`,
      whopPlanId: `plan_${randomBase62(13)}`,
      purchaseUrl: "https://whop.com/checkout/plan_x/?session=ch_x",
      ...overrides,
    })
    .returning();
  return order!;
}

type Seed<T extends { $inferInsert: unknown }> = Partial<Omit<T["$inferInsert"], "tenantId">>;

export interface LedgerSeed {
  /** Default: succeeded, the order's amount and currency, paid now, a fresh `pay_` id. */
  payments?: Seed<typeof ledgerPayments>[];
  /** Default: succeeded, the order's amount and currency, of the first payment (this call's, else the order's). */
  refunds?: Seed<typeof ledgerRefunds>[];
  /** Default: open (`needs_response`), the order's amount and currency, of the first payment. */
  disputes?: Seed<typeof ledgerDisputes>[];
  /** Write the order's status and amounts as the ledger derives them from all its rows (default true). */
  derive?: boolean;
}

const WHOP_STATUS_OF_PHASE = { open: "needs_response", won: "won", lost: "lost", closed: "closed" } as const;

/**
 * Ledger rows for an order, as Whop's events would leave them: payments, refunds and disputes,
 * each overridable field by field (`orderId: null` for a refund or dispute still waiting for its
 * payment). The order is then derived from its rows, as the ledger does after every change.
 */
export async function fixtureLedger(
  tenant: Tenant,
  order: Order,
  { payments = [], refunds = [], disputes = [], derive = true }: LedgerSeed = {},
): Promise<{ order: Order; payments: LedgerPayment[]; refunds: LedgerRefund[]; disputes: LedgerDispute[] }> {
  const paymentRows = payments.map((seed) => {
    const status = seed.status ?? "succeeded";
    return {
      id: `pay_${randomBase62(14)}`,
      orderId: order.id,
      amountMinor: order.amountMinor,
      subtotalMinor: seed.amountMinor ?? order.amountMinor,
      currency: order.currency,
      paidAt: status === "succeeded" ? new Date() : null,
      ...seed,
      status,
      tenantId: tenant.id,
    };
  });
  const firstPayment = paymentRows[0]?.id ?? order.whopPaymentId;
  const paymentOf = (seed: { paymentId?: string }) => {
    const paymentId = seed.paymentId ?? firstPayment;
    if (!paymentId) throw new Error("fixtureLedger: a refund or dispute needs a payment id (seed a payment, or give paymentId)");
    return paymentId;
  };
  const refundRows = refunds.map((seed) => ({
    id: seed.migrated ? `migrated_${order.id}_${randomBase62(6)}` : `rfnd_${randomBase62(14)}`,
    orderId: order.id,
    status: "succeeded" as const,
    amountMinor: order.amountMinor,
    currency: order.currency,
    ...seed,
    paymentId: paymentOf(seed),
    tenantId: tenant.id,
  }));
  const disputeRows = disputes.map((seed) => {
    const phase = seed.phase ?? "open";
    return {
      id: `dspt_${randomBase62(14)}`,
      orderId: order.id,
      whopStatus: WHOP_STATUS_OF_PHASE[phase],
      amountMinor: order.amountMinor,
      currency: order.currency,
      ...seed,
      phase,
      paymentId: paymentOf(seed),
      tenantId: tenant.id,
    };
  });

  const inserted = {
    payments: paymentRows.length ? await db().insert(ledgerPayments).values(paymentRows).returning() : [],
    refunds: refundRows.length ? await db().insert(ledgerRefunds).values(refundRows).returning() : [],
    disputes: disputeRows.length ? await db().insert(ledgerDisputes).values(disputeRows).returning() : [],
  };
  if (!derive) return { order, ...inserted };

  const [allPayments, allRefunds, allDisputes, [outstanding]] = await Promise.all([
    db().select().from(ledgerPayments).where(and(eq(ledgerPayments.tenantId, tenant.id), eq(ledgerPayments.orderId, order.id))),
    db().select().from(ledgerRefunds).where(and(eq(ledgerRefunds.tenantId, tenant.id), eq(ledgerRefunds.orderId, order.id))),
    db().select().from(ledgerDisputes).where(and(eq(ledgerDisputes.tenantId, tenant.id), eq(ledgerDisputes.orderId, order.id))),
    db()
      .select({ count: sql<number>`count(*)::int` })
      .from(refundRequests)
      .where(and(eq(refundRequests.tenantId, tenant.id), eq(refundRequests.orderId, order.id), isNull(refundRequests.whopRefundId), sql`${refundRequests.state} <> 'failed'`)),
  ]);
  const derived = deriveOrder(order, { payments: allPayments, refunds: allRefunds, disputes: allDisputes, outstandingRequests: Number(outstanding?.count ?? 0) });
  await db().transaction((tx) => markRenewals(tx, tenant.id, order, derived.paidAt, allPayments));
  const [updated] = await db()
    .update(orders)
    .set({ ...derived, whopPaymentId: order.whopPaymentId ?? allPayments[0]?.id ?? null, updatedAt: new Date() })
    .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)))
    .returning();
  return { order: updated!, ...inserted };
}

/** Saves a webhook secret for the tenant the way the integration page does (encrypted). */
export async function withWebhookSecret(tenant: Tenant, secret = `ws_${randomBase62(40)}`): Promise<{ tenant: Tenant; secret: string }> {
  const [updated] = await db()
    .update(tenants)
    .set({ webhookSecretCiphertext: encryptSecret(secret, { tenantId: tenant.id, field: "webhook_secret" }, env().encryptionKeys) })
    .where(eq(tenants.id, tenant.id))
    .returning();
  return { tenant: updated!, secret };
}

/** Whop's signatures; a Standard Webhooks message id is made up when the test does not care. */
export function signStandard(secret: string, body: string, id = `msg_${randomBase62(24)}`, timestamp?: number) {
  return signStandardWith(secret, body, id, timestamp);
}
export { signBare, signLegacy };

/**
 * Fixed-window throttles count per clock minute: a test that fills a window waits out the last
 * few seconds of the current minute rather than straddle two windows.
 */
export async function startOfAFreshMinuteWindow(neededSeconds = 10): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (60_000 - intoMinute < neededSeconds * 1000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
}

/** Another user joins the account with `role`, as an accepted invitation leaves them (password: the fixtures' one). */
export async function addMember(of: { tenant: Tenant }, role: Role) {
  const passwordHash = await hashPassword("long enough password");
  const user = await db().transaction(async (tx) => {
    const created = await insertUser(tx, { id: newId("usr"), email: uniqueEmail("member"), passwordHash });
    await tx.insert(accountMembers).values({ accountId: of.tenant.accountId, userId: created.id, role });
    return created;
  });
  return { user, tenant: of.tenant };
}
