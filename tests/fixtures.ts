import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { items, tenants, type Item, type Tenant } from "@/db/schema";
import { signUp } from "@/lib/auth/accounts";
import { encryptSecret, keyHint } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { newId, newItemSlug, randomBase62 } from "@/lib/ids";
import { uniqueEmail } from "./db";

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
