"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { actorAction, actorFormAction } from "@/lib/auth/action";
import { createItem, itemFormSchema, setItemActive, updateItem } from "@/lib/items/items";
import { isConnected } from "@/lib/tenants/queries";

export const createItemAction = actorAction(itemFormSchema, async (actor, input) => {
  if (!isConnected(actor.tenant)) redirect("/onboarding");
  const result = await createItem(actor, input);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard/items");
  return { success: `“${result.item.title}” is ready to sell. Share its checkout link below.` };
});

const itemIdSchema = z.object({ itemId: z.string().min(1).max(64) });

export const updateItemAction = actorAction(itemFormSchema, async (actor, input, formData) => {
  const parsed = itemIdSchema.safeParse(Object.fromEntries(formData));
  if (!parsed.success) return { error: "That item does not exist." };
  const result = await updateItem(actor, parsed.data.itemId, input);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard/items");
  redirect("/dashboard/items");
});

const toggleSchema = z.object({ itemId: z.string().min(1).max(64), active: z.enum(["true", "false"]) });

/** Deactivate / activate; an id that is not the merchant's own item, or a Viewer's post, changes nothing. */
export const setItemActiveAction = actorFormAction(toggleSchema, async (actor, { itemId, active }) => {
  await setItemActive(actor, itemId, active === "true");
  revalidatePath("/dashboard/items");
});
