"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { actorAction } from "@/lib/auth/action";
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

function refresh() {
  revalidatePath("/dashboard/webhooks", "layout");
}

export const createWebhookEndpointAction = actorAction(z.object({ url: endpointUrlSchema }), async (who, { url }, formData) => {
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

export const rotateWebhookSecretAction = actorAction(endpointForm, async (actor, { endpointId }) => {
  const result = await rotateEndpointSecret(actor, endpointId);
  if (!result.ok) return { error: result.message };
  refresh();
  return { success: "New signing secret: copy it now, it is shown only once. The old one also signs for 24 hours, so switch your app over meanwhile.", reveal: result.secret };
});

export const sendTestWebhookAction = actorAction(endpointForm, async (actor, { endpointId }) => {
  const result = await sendTestEvent(actor, endpointId);
  refresh();
  return result.ok ? { success: result.message } : { error: result.message };
});

export const setWebhookEndpointEnabledAction = actorAction(
  z.object({ endpointId: endpointIdSchema, enabled: z.enum(["true", "false"]), resendMissed: z.literal("on").optional() }),
  async (actor, { endpointId, enabled, resendMissed }) => {
    const result = await setEndpointEnabled(actor, endpointId, enabled === "true", { resendMissed: resendMissed === "on" });
    if (!result.ok) return { error: result.message };
    refresh();
    return { success: result.message };
  },
);

export const deleteWebhookEndpointAction = actorAction(endpointForm, async (actor, { endpointId }) => {
  const result = await deleteEndpoint(actor, endpointId);
  if (!result.ok) return { error: result.message };
  refresh();
  return { success: result.message };
});

export const resendWebhookDeliveryAction = actorAction(z.object({ deliveryId: z.string().trim().min(1).max(64) }), async (actor, { deliveryId }) => {
  const result = await resendDelivery(actor, deliveryId);
  refresh();
  return result.ok ? { success: result.message } : { error: result.message };
});
