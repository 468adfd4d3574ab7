"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { clientIp, requireAccount } from "@/lib/auth/session";
import {
  createEndpoint,
  deleteEndpoint,
  endpointIdSchema,
  endpointUrlSchema,
  resendDelivery,
  rotateEndpointSecret,
  sendTestEvent,
  setEndpointEnabled,
} from "@/lib/outbound/endpoints";

// Every action acts on the session's own account: ids are looked up within its tenant, whatever else the form says.

async function actor() {
  const { user, tenant } = await requireAccount();
  return { tenantId: tenant.id, userId: user.id, ip: await clientIp() };
}

function refresh() {
  revalidatePath("/dashboard/webhooks", "layout");
}

export const createWebhookEndpointAction = validatedAction(z.object({ url: endpointUrlSchema }), async ({ url }, formData) => {
  const who = await actor();
  const eventTypes = formData.getAll("eventTypes").filter((value): value is string => typeof value === "string");
  const result = await createEndpoint(who, { url, eventTypes });
  if (!result.ok) {
    const values = { url, eventTypes: eventTypes.join(",") };
    return result.field ? { fieldErrors: { [result.field]: result.message }, values } : { error: result.message, values };
  }
  refresh();
  return { success: `Endpoint added. Copy its signing secret now: it is shown only once.`, reveal: result.secret };
});

const endpointForm = z.object({ endpointId: endpointIdSchema });

export const rotateWebhookSecretAction = validatedAction(endpointForm, async ({ endpointId }) => {
  const result = await rotateEndpointSecret(await actor(), endpointId);
  if (!result.ok) return { error: result.message };
  refresh();
  return { success: "New signing secret: copy it now, it is shown only once. The old one also signs for 24 hours, so switch your app over meanwhile.", reveal: result.secret };
});

export const sendTestWebhookAction = validatedAction(endpointForm, async ({ endpointId }) => {
  const result = await sendTestEvent(await actor(), endpointId);
  refresh();
  return result.ok ? { success: result.message } : { error: result.message };
});

export const setWebhookEndpointEnabledAction = validatedAction(
  z.object({ endpointId: endpointIdSchema, enabled: z.enum(["true", "false"]), resendMissed: z.literal("on").optional() }),
  async ({ endpointId, enabled, resendMissed }) => {
    const result = await setEndpointEnabled(await actor(), endpointId, enabled === "true", { resendMissed: resendMissed === "on" });
    if (!result.ok) return { error: result.message };
    refresh();
    return { success: result.message };
  },
);

export const deleteWebhookEndpointAction = validatedAction(endpointForm, async ({ endpointId }) => {
  const result = await deleteEndpoint(await actor(), endpointId);
  if (!result.ok) return { error: result.message };
  refresh();
  return { success: result.message };
});

export const resendWebhookDeliveryAction = validatedAction(z.object({ deliveryId: z.string().trim().min(1).max(64) }), async ({ deliveryId }) => {
  const result = await resendDelivery(await actor(), deliveryId);
  refresh();
  return result.ok ? { success: result.message } : { error: result.message };
});
