"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { clientIp, requireAccount } from "@/lib/auth/session";
import { createItem, itemFormSchema, setItemActive, updateItem } from "@/lib/items/items";
import { isConnected } from "@/lib/tenants/queries";

async function actor() {
  const { user, tenant } = await requireAccount();
  return { tenant, userId: user.id, ip: await clientIp() };
}

export const createItemAction = validatedAction(itemFormSchema, async (input) => {
  const who = await actor();
  if (!isConnected(who.tenant)) redirect("/onboarding");
  const result = await createItem(who, input);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard/items");
  return { success: `“${result.item.title}” is ready to sell. Share its checkout link below.` };
});

const itemIdSchema = z.object({ itemId: z.string().min(1).max(64) });

export const updateItemAction = validatedAction(itemFormSchema, async (input, formData) => {
  const parsed = itemIdSchema.safeParse(Object.fromEntries(formData));
  if (!parsed.success) return { error: "That item does not exist." };
  const result = await updateItem(await actor(), parsed.data.itemId, input);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard/items");
  redirect("/dashboard/items");
});

const toggleSchema = z.object({ itemId: z.string().min(1).max(64), active: z.enum(["true", "false"]) });

/** Deactivate / activate; an id that is not the merchant's own item changes nothing. */
export async function setItemActiveAction(formData: FormData): Promise<void> {
  const parsed = toggleSchema.safeParse(Object.fromEntries(formData));
  if (!parsed.success) return;
  await setItemActive(await actor(), parsed.data.itemId, parsed.data.active === "true");
  revalidatePath("/dashboard/items");
}
