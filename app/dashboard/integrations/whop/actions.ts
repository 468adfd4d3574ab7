"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { actorAction } from "@/lib/auth/action";
import { formatDateTime } from "@/lib/format";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { createWebhookAutomatically, saveWebhookSecret, updateWebhookEvents } from "@/lib/tenants/webhook-secret";

const keySchema = z.object({ apiKey: z.string().max(4096, "That is far too long to be a Whop API key.") });

export const replaceKeyAction = actorAction(keySchema, async (actor, { apiKey }) => {
  const result = await connectWhopKey(actor, apiKey);
  if (!result.ok && result.reauthenticate) return { error: result.message, reauthenticate: result.reauthenticate };
  if (!result.ok) return { fieldErrors: { apiKey: `${result.message} Your current key is still in use.` } };
  revalidatePath("/dashboard", "layout");
  return { success: `Key replaced. Still connected to ${result.company.title} (${result.company.id}).` };
});

const webhookSecretSchema = z.object({
  webhookSecret: z.string().max(4096, "That is far too long to be a webhook secret."),
});

export const saveWebhookSecretAction = actorAction(webhookSecretSchema, async (actor, { webhookSecret }) => {
  const result = await saveWebhookSecret(actor, webhookSecret);
  if (!result.ok) return { fieldErrors: { webhookSecret: result.message } };
  revalidatePath("/dashboard", "layout");
  if (!result.changed) return { success: `That secret (ending in ${result.secretHint}) is already saved; nothing changed.` };
  const previous = result.previousAcceptedUntil
    ? ` The previous secret is still accepted until ${formatDateTime(result.previousAcceptedUntil)}.`
    : "";
  return { success: `Webhook secret saved (ending in ${result.secretHint}).${previous}` };
});

export const createWebhookAction = actorAction(z.object({}), async (actor) => {
  const result = await createWebhookAutomatically(actor);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard", "layout");
  const previous = result.previousAcceptedUntil
    ? ` The secret saved before is still accepted until ${formatDateTime(result.previousAcceptedUntil)}; if you also created a webhook by hand, delete it in Whop.`
    : "";
  return { success: `Webhook ${result.webhookId} created in Whop and its secret saved (ending in ${result.secretHint}).${previous}` };
});

export const updateWebhookEventsAction = actorAction(z.object({}), async (actor) => {
  const result = await updateWebhookEvents(actor);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard", "layout");
  if (!result.changed) return { success: `Webhook ${result.webhookId} already receives every event the connector applies; nothing changed.` };
  return { success: `Webhook ${result.webhookId} updated in Whop: it now also receives ${result.added.join(", ")}. Its secret is unchanged.` };
});
