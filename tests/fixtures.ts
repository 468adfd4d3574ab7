import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { items, orders, tenants, type Item, type Order, type Tenant } from "@/db/schema";
import { signUp } from "@/lib/auth/accounts";
import { encryptSecret, keyHint } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { newId, newItemSlug, randomBase62 } from "@/lib/ids";
import { uniqueEmail } from "./db";
import { signBare, signLegacy, signStandard as signStandardWith } from "./signing";

/** A merchant whose tenant is connected to a Whop company with `apiKey` (stored like onboarding does). */
export async function connectedMerchant(apiKey = `apik_${randomBase62(24)}`, companyId = `biz_${randomBase62(14)}`) {
  const result = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
  if (!result.ok) throw new Error("sign-up failed");
  const ciphertext = encryptSecret(apiKey, { tenantId: result.tenant.id, field: "whop_api_key" }, env().encryptionKeys);
  const [tenant] = await db()
    .update(tenants)
    .set({
      whopCompanyId: companyId,
      whopCompanyTitle: "Fixture Co",
      environment: "production",
      whopApiKeyCiphertext: ciphertext,
      whopApiKeyHint: keyHint(apiKey),
      connectedAt: new Date(),
      keyVerifiedAt: new Date(),
    })
    .where(eq(tenants.id, result.tenant.id))
    .returning();
  return { tenant: tenant!, user: result.user, apiKey, actor: { tenant: tenant!, userId: result.user.id, ip: null } };
}

export async function fixtureItem(tenant: Tenant, overrides: Partial<typeof items.$inferInsert> = {}): Promise<Item> {
  const [item] = await db()
    .insert(items)
    .values({
      id: newId("item"),
      tenantId: tenant.id,
      slug: newItemSlug(),
      title: "Premium template pack for creators",
      description: "Forty Figma templates",
      priceMinor: 2999,
      currency: "usd",
      whopProductId: `prod_${randomBase62(8)}`,
      ...overrides,
    })
    .returning();
  return item!;
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
