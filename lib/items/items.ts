import { and, desc, eq } from "drizzle-orm";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { z } from "zod";
import { db, type Transaction } from "@/db/client";
import { itemSlugs, items, type Item } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { env } from "@/lib/env";
import { newId, newItemSlug } from "@/lib/ids";
import { CURRENCIES, isCurrency, parsePrice, type Currency } from "@/lib/money";
import { BILLING_OPTIONS, BILLING_PERIODS, TRIAL_DAYS_MAX, type Billing } from "@/lib/subscriptions/billing";
import { whopClientForTenant } from "@/lib/tenants/whop";
import { describeWhopProblem } from "@/lib/whop/messages";

export const ITEM_TITLE_MAX = 80; // Whop's product title limit
export const ITEM_DESCRIPTION_MAX = 500; // Whop's plan description limit
/** The most machines one license may be active on, when the merchant sets a limit. */
export const ACTIVATION_LIMIT_MAX = 10_000;

/** The item form, as typed by the merchant; the price becomes minor units of the chosen currency. */
export const itemFormSchema = z
  .object({
    title: z.string().trim().min(1, "Give the item a title.").max(ITEM_TITLE_MAX, `Keep the title under ${ITEM_TITLE_MAX + 1} characters.`),
    price: z.string().max(40, "Enter the price as a number, e.g. 29.99."),
    currency: z
      .string()
      .trim()
      .toLowerCase()
      .refine(isCurrency, "Choose a currency from the list."),
    description: z
      .string()
      .trim()
      .max(ITEM_DESCRIPTION_MAX, `Keep the description under ${ITEM_DESCRIPTION_MAX + 1} characters.`)
      .optional()
      .transform((value) => value || null),
    billing: z
      .enum(BILLING_OPTIONS.map((option) => option.value) as [Billing, ...Billing[]], { message: "Choose how often the buyer pays." })
      .optional()
      .default("one_time"),
    trialDays: z.string().trim().max(10, `Enter a number of days from 0 to ${TRIAL_DAYS_MAX}.`).optional().default(""),
    issueLicenseKeys: z.literal("on", { message: "Tick the box or leave it empty." }).optional(),
    activationLimit: z.string().trim().max(10, `Enter a number of machines from 1 to ${ACTIVATION_LIMIT_MAX}.`).optional().default(""),
  })
  .transform((form, ctx) => {
    const price = parsePrice(form.price, form.currency);
    if (!price.ok) {
      ctx.addIssue({ code: "custom", path: ["price"], message: price.message });
      return z.NEVER;
    }
    let trialPeriodDays: number | null = null;
    if (form.trialDays !== "") {
      const days = /^\d{1,3}$/.test(form.trialDays) ? Number(form.trialDays) : NaN;
      if (!Number.isInteger(days) || days > TRIAL_DAYS_MAX) {
        ctx.addIssue({ code: "custom", path: ["trialDays"], message: `Enter a whole number of days from 0 to ${TRIAL_DAYS_MAX}.` });
        return z.NEVER;
      }
      trialPeriodDays = days === 0 ? null : days;
    }
    if (trialPeriodDays !== null && form.billing === "one_time") {
      ctx.addIssue({ code: "custom", path: ["trialDays"], message: "A free trial needs recurring billing: choose Weekly, Monthly, Every 3 months or Yearly." });
      return z.NEVER;
    }
    let activationLimit: number | null = null;
    if (form.activationLimit !== "") {
      activationLimit = /^\d{1,5}$/.test(form.activationLimit) ? Number(form.activationLimit) : NaN;
      if (!Number.isInteger(activationLimit) || activationLimit < 1 || activationLimit > ACTIVATION_LIMIT_MAX) {
        ctx.addIssue({ code: "custom", path: ["activationLimit"], message: `Enter a whole number of machines from 1 to ${ACTIVATION_LIMIT_MAX}, or leave it empty for no limit.` });
        return z.NEVER;
      }
    }
    return {
      title: form.title,
      description: form.description,
      currency: form.currency as Currency,
      priceMinor: price.minor,
      billingPeriodDays: form.billing === "one_time" ? null : BILLING_PERIODS[form.billing].days,
      trialPeriodDays,
      issueLicenseKeys: form.issueLicenseKeys === "on",
      activationLimit,
    };
  });

type ItemFormOutput = z.output<typeof itemFormSchema>;
/** The form's output; a caller that says nothing of billing makes (or keeps) a one-time item. */
export type ItemInput = Omit<ItemFormOutput, "billingPeriodDays" | "trialPeriodDays" | "issueLicenseKeys" | "activationLimit"> &
  Partial<Pick<ItemFormOutput, "billingPeriodDays" | "trialPeriodDays" | "issueLicenseKeys" | "activationLimit">>;

export type ItemResult = { ok: true; item: Item } | { ok: false; message: string };


export function checkoutLink(item: Pick<Item, "slug">): string {
  return `${env().appUrl}/pay/${item.slug}`;
}

/**
 * Inserts items and their item_slugs rows (a slug's uniqueness across tenants, and how
 * /pay/<slug> finds it), in the caller's transaction: every item is created through here.
 */
export async function insertItems(tx: Transaction, values: (typeof items.$inferInsert)[]): Promise<Item[]> {
  if (values.length === 0) return [];
  const rows = await tx.insert(items).values(values).returning();
  await tx.insert(itemSlugs).values(rows.map((item) => ({ slug: item.slug, tenantId: item.tenantId, itemId: item.id })));
  return rows;
}

export async function insertItem(tx: Transaction, values: typeof items.$inferInsert): Promise<Item> {
  return (await insertItems(tx, [values]))[0]!;
}

/**
 * Creates the item and its Whop product (so every buyer's one-shot plan hangs under one product
 * in the merchant's Whop dashboard). The product is made here, on the merchant's click, to keep
 * the buyer's path at exactly one Whop call.
 */
export async function createItem(actor: Actor, input: ItemInput): Promise<ItemResult> {
  authorize(actor, "admin");
  const { tenant, userId, ip } = actor;
  const id = newId("item");
  let productId: string;
  try {
    const product = await whopClientForTenant(tenant).createProduct({ idempotencyKey: id, title: input.title.slice(0, ITEM_TITLE_MAX) });
    productId = product.id;
  } catch (error) {
    return { ok: false, message: `${describeWhopProblem(error, { tenant, operation: "product" })} Nothing was saved.` };
  }
  return db().transaction(async (tx) => {
    const item = await insertItem(tx, { id, tenantId: tenant.id, slug: newItemSlug(), ...input, whopProductId: productId });
    await recordAudit(tx, { tenantId: tenant.id, actorUserId: userId, action: "item.created", ip, detail: { itemId: id, title: input.title } });
    return { ok: true, item } as const;
  });
}

export async function updateItem(actor: Actor, itemId: string, input: ItemInput): Promise<ItemResult> {
  authorize(actor, "admin");
  const { tenant, userId, ip } = actor;
  return db().transaction(async (tx) => {
    const [item] = await tx
      .update(items)
      .set({ ...input, updatedAt: new Date() })
      .where(and(eq(items.tenantId, tenant.id), eq(items.id, itemId)))
      .returning();
    if (!item) return { ok: false, message: "That item does not exist." } as const;
    await recordAudit(tx, { tenantId: tenant.id, actorUserId: userId, action: "item.updated", ip, detail: { itemId, title: input.title } });
    return { ok: true, item } as const;
  });
}

export async function setItemActive(actor: Actor, itemId: string, active: boolean): Promise<ItemResult> {
  authorize(actor, "admin");
  const { tenant, userId, ip } = actor;
  return db().transaction(async (tx) => {
    const [item] = await tx
      .update(items)
      .set({ active, updatedAt: new Date() })
      .where(and(eq(items.tenantId, tenant.id), eq(items.id, itemId)))
      .returning();
    if (!item) return { ok: false, message: "That item does not exist." } as const;
    await recordAudit(tx, { tenantId: tenant.id, actorUserId: userId, action: active ? "item.activated" : "item.deactivated", ip, detail: { itemId } });
    return { ok: true, item } as const;
  });
}

export async function listItems(tenantId: string): Promise<Item[]> {
  return db().select().from(items).where(eq(items.tenantId, tenantId)).orderBy(desc(items.createdAt));
}

export async function getItem(tenantId: string, itemId: string): Promise<Item | undefined> {
  const [item] = await db()
    .select()
    .from(items)
    .where(and(eq(items.tenantId, tenantId), eq(items.id, itemId)))
    .limit(1);
  return item;
}

export const CURRENCY_OPTIONS = CURRENCIES.map((code) => ({ value: code, label: code.toUpperCase() }));
