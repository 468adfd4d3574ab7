"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { rotatePublishableKey } from "@/lib/api/publishable-keys";
import { scopesSchema } from "@/lib/api/scopes";
import { createApiToken, revokeApiToken, tokenNameSchema } from "@/lib/api/tokens";
import { actorAction } from "@/lib/auth/action";

// Both act on the session's account only: the token id is looked up within it.

export const createApiTokenAction = actorAction(z.object({ name: tokenNameSchema }), async (actor, { name }, formData) => {
  const chosen = formData.getAll("scopes").filter((value): value is string => typeof value === "string");
  const values = { name, scopes: chosen.join(",") };
  const scopes = scopesSchema.safeParse(chosen);
  if (!scopes.success) return { fieldErrors: { scopes: scopes.error.issues[0]!.message }, values };
  const result = await createApiToken(actor, name, scopes.data);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate, values };
  revalidatePath("/dashboard/api");
  return { success: `Token “${name}” created. Copy it now: it is shown only once.`, reveal: result.token };
});

export const revokeApiTokenAction = actorAction(z.object({ tokenId: z.string().trim().min(1).max(64) }), async (actor, { tokenId }) => {
  const result = await revokeApiToken(actor, tokenId);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  revalidatePath("/dashboard/api");
  return { success: `Token “${result.row.name}” revoked: apps using it now get 401.` };
});

export const rotatePublishableKeyAction = actorAction(z.object({}), async (actor) => {
  const result = await rotatePublishableKey(actor);
  revalidatePath("/dashboard/api");
  return { success: `New publishable key …${result.key.slice(-4)}: apps with the old one now get 401. Ship the new one in your app.` };
});
