"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { clientIp, requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { createWebhookAutomatically, saveWebhookSecret, updateWebhookEvents } from "@/lib/tenants/webhook-secret";

const keySchema = z.object({ apiKey: z.string().max(4096, "That is far too long to be a Whop API key.") });

export const replaceKeyAction = validatedAction(keySchema, async ({ apiKey }) => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await connectWhopKey({ tenant, actorUserId: user.id, pastedKey: apiKey, ip: await clientIp(), sessionId });
  if (!result.ok && result.reauthenticate) return { error: result.message, reauthenticate: result.reauthenticate };
  if (!result.ok) return { fieldErrors: { apiKey: `${result.message} Your current key is still in use.` } };
  revalidatePath("/dashboard", "layout");
  return { success: `Key replaced. Still connected to ${result.company.title} (${result.company.id}).` };
});

const webhookSecretSchema = z.object({
  webhookSecret: z.string().max(4096, "That is far too long to be a webhook secret."),
});

export const saveWebhookSecretAction = validatedAction(webhookSecretSchema, async ({ webhookSecret }) => {
  const { user, tenant } = await requireAccount();
  const result = await saveWebhookSecret({ tenant, actorUserId: user.id, ip: await clientIp() }, webhookSecret);
  if (!result.ok) return { fieldErrors: { webhookSecret: result.message } };
  revalidatePath("/dashboard", "layout");
  if (!result.changed) return { success: `That secret (ending in ${result.secretHint}) is already saved; nothing changed.` };
  const previous = result.previousAcceptedUntil
    ? ` The previous secret is still accepted until ${formatDateTime(result.previousAcceptedUntil)}.`
    : "";
  return { success: `Webhook secret saved (ending in ${result.secretHint}).${previous}` };
});

export const createWebhookAction = validatedAction(z.object({}), async () => {
  const { user, tenant } = await requireAccount();
  const result = await createWebhookAutomatically({ tenant, actorUserId: user.id, ip: await clientIp() });
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard", "layout");
  const previous = result.previousAcceptedUntil
    ? ` The secret saved before is still accepted until ${formatDateTime(result.previousAcceptedUntil)}; if you also created a webhook by hand, delete it in Whop.`
    : "";
  return { success: `Webhook ${result.webhookId} created in Whop and its secret saved (ending in ${result.secretHint}).${previous}` };
});

export const updateWebhookEventsAction = validatedAction(z.object({}), async () => {
  const { user, tenant } = await requireAccount();
  const result = await updateWebhookEvents({ tenant, actorUserId: user.id, ip: await clientIp() });
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard", "layout");
  if (!result.changed) return { success: `Webhook ${result.webhookId} already receives every event the connector applies; nothing changed.` };
  return { success: `Webhook ${result.webhookId} updated in Whop: it now also receives ${result.added.join(", ")}. Its secret is unchanged.` };
});
