import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createWebhookEndpointAction,
  deleteWebhookEndpointAction,
  resendWebhookDeliveryAction,
  rotateWebhookSecretAction,
  sendTestWebhookAction,
  setWebhookEndpointEnabledAction,
} from "@/app/dashboard/webhooks/actions";
import WebhookEndpointPage from "@/app/dashboard/webhooks/[id]/page";
import WebhooksPage from "@/app/dashboard/webhooks/page";
import { db } from "@/db/client";
import { webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { randomBase62 } from "@/lib/ids";
import { createEndpoint, sendTestEvent } from "@/lib/outbound/endpoints";
import { ORDER_EVENT_TYPES } from "@/lib/outbound/events";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { startReceiver } from "../outbound/receiver";
import { expectNotFound, expectRedirect, html } from "./next-errors";
import { signInAs, signOut } from "./session";
import { tenantSnapshot } from "./snapshot";

vi.mock("@/lib/auth/session", () => import("./session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));
vi.mock("next/navigation", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/navigation")>()),
  useRouter: () => ({ push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() }),
}));

withTestDatabase();

/*
 * The webhooks page, its endpoint page and every webhook action, by merchant A with merchant B's
 * endpoint and delivery ids (and B's tenant id smuggled into the form): "not found", nothing of
 * B's changes, no request reaches B's endpoint. Signing secrets never appear in the pages.
 */

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
afterEach(() => signOut());

const NO_PREVIOUS_STATE = {};
function form(fields: Record<string, string | string[]>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const one of Array.isArray(value) ? value : [value]) data.append(name, one);
  return data;
}

/** A merchant with one endpoint (on the local receiver, its path carrying a marker) and one delivered test event. */
async function merchant() {
  const m = await connectedMerchant();
  const marker = randomBase62(12);
  const actor = m.actor;
  const created = await createEndpoint(actor, { url: receiver.url(`/hooks/${marker}`), eventTypes: ORDER_EVENT_TYPES }, { allowPrivate: true });
  if (!created.ok) throw new Error(created.message);
  expect((await sendTestEvent(actor, created.endpoint.id)).ok).toBe(true);
  const [delivery] = await db().select().from(webhookDeliveries).where(and(eq(webhookDeliveries.tenantId, m.tenant.id), eq(webhookDeliveries.endpointId, created.endpoint.id)));
  return { ...m, marker, endpoint: created.endpoint, secret: created.secret, delivery: delivery! };
}

const requestsTo = (marker: string) => receiver.received.filter((request) => request.path.includes(marker)).length;

describe("webhook actions act on the session's own tenant only", () => {
  it("every action answers “not found” to A for B's endpoint or delivery, and changes nothing of either", async () => {
    const a = await merchant();
    const b = await merchant();
    const [beforeA, beforeB] = [await tenantSnapshot(a.tenant.id), await tenantSnapshot(b.tenant.id)];
    const sentToB = requestsTo(b.marker);

    signInAs(a);
    const smuggled = { endpointId: b.endpoint.id, tenantId: b.tenant.id, tenant_id: b.tenant.id };
    expect(await rotateWebhookSecretAction(NO_PREVIOUS_STATE, form(smuggled))).toMatchObject({ error: "That endpoint does not exist." });
    expect(await sendTestWebhookAction(NO_PREVIOUS_STATE, form(smuggled))).toMatchObject({ error: "That endpoint does not exist." });
    expect(await setWebhookEndpointEnabledAction(NO_PREVIOUS_STATE, form({ ...smuggled, enabled: "false" }))).toMatchObject({ error: "That endpoint does not exist." });
    expect(await setWebhookEndpointEnabledAction(NO_PREVIOUS_STATE, form({ ...smuggled, enabled: "true", resendMissed: "on" }))).toMatchObject({ error: "That endpoint does not exist." });
    expect(await deleteWebhookEndpointAction(NO_PREVIOUS_STATE, form(smuggled))).toMatchObject({ error: "That endpoint does not exist." });
    expect(await resendWebhookDeliveryAction(NO_PREVIOUS_STATE, form({ deliveryId: b.delivery.id, tenantId: b.tenant.id }))).toMatchObject({ error: "That delivery does not exist." });

    expect(requestsTo(b.marker)).toBe(sentToB);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
  });

  it("createWebhookEndpointAction adds the endpoint to A, whatever tenant the form names, reveals its secret once, and explains bad URLs", async () => {
    const a = await merchant();
    const b = await merchant();
    const beforeB = await tenantSnapshot(b.tenant.id);
    signInAs(a);
    const url = receiver.url(`/hooks/new-${randomBase62(8)}`);
    const result = await createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url, eventTypes: ["order.paid", "order.refunded"], tenantId: b.tenant.id }));
    expect(result.reveal).toMatch(/^whsec_/);
    const [row] = await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.url, url));
    expect(row).toMatchObject({ tenantId: a.tenant.id, eventTypes: ["order.paid", "order.refunded"], enabled: true });
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);

    const bad = await createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url: "not a url", eventTypes: ["order.paid"] }));
    expect(bad.fieldErrors?.url).toContain("full URL");
    expect(bad.values).toEqual({ url: "not a url", eventTypes: "order.paid" });
    const none = await createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url }));
    expect(none.fieldErrors).toEqual({ eventTypes: "Choose at least one event type." });
    const empty = await createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url: "" }));
    expect(empty.fieldErrors?.url).toBe("Enter the URL of your app's webhook endpoint.");
  });

  it("each action works for the owner", async () => {
    const b = await merchant();
    signInAs(b);
    const fields = { endpointId: b.endpoint.id };
    expect((await sendTestWebhookAction(NO_PREVIOUS_STATE, form(fields))).success).toBe("Test event delivered: your endpoint answered 200.");
    expect((await rotateWebhookSecretAction(NO_PREVIOUS_STATE, form(fields))).reveal).toMatch(/^whsec_/);
    expect((await resendWebhookDeliveryAction(NO_PREVIOUS_STATE, form({ deliveryId: b.delivery.id }))).success).toBe("Event delivered: your endpoint answered 200.");
    expect((await setWebhookEndpointEnabledAction(NO_PREVIOUS_STATE, form({ ...fields, enabled: "false" }))).success).toContain("Endpoint disabled");
    expect((await sendTestWebhookAction(NO_PREVIOUS_STATE, form(fields))).error).toBe("The endpoint is disabled: enable it first.");
    expect((await setWebhookEndpointEnabledAction(NO_PREVIOUS_STATE, form({ ...fields, enabled: "true", resendMissed: "on" }))).success).toBe("Endpoint enabled.");
    expect((await deleteWebhookEndpointAction(NO_PREVIOUS_STATE, form(fields))).success).toContain("deleted");
    expect(await db().select().from(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, b.tenant.id), eq(webhookEndpoints.id, b.endpoint.id)))).toEqual([]);
  });

  it("signed out, every action redirects to /login before touching anything", async () => {
    const b = await merchant();
    const before = await tenantSnapshot(b.tenant.id);
    const fields = { endpointId: b.endpoint.id };
    await expectRedirect(() => createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url: receiver.url("/x"), eventTypes: ["order.paid"] })), "/login");
    await expectRedirect(() => rotateWebhookSecretAction(NO_PREVIOUS_STATE, form(fields)), "/login");
    await expectRedirect(() => sendTestWebhookAction(NO_PREVIOUS_STATE, form(fields)), "/login");
    await expectRedirect(() => setWebhookEndpointEnabledAction(NO_PREVIOUS_STATE, form({ ...fields, enabled: "false" })), "/login");
    await expectRedirect(() => deleteWebhookEndpointAction(NO_PREVIOUS_STATE, form(fields)), "/login");
    await expectRedirect(() => resendWebhookDeliveryAction(NO_PREVIOUS_STATE, form({ deliveryId: b.delivery.id })), "/login");
    expect(await tenantSnapshot(b.tenant.id)).toBe(before);
  });
});

describe("/dashboard/webhooks and /dashboard/webhooks/[id]", () => {
  it("A sees only A's endpoints; B's endpoint page is 404 for A; no page holds a signing secret", async () => {
    const a = await merchant();
    const b = await merchant();

    signInAs(a);
    const list = html(await WebhooksPage());
    expect(list).toContain(a.marker);
    expect(list).not.toContain(b.marker);
    expect(list).toContain("Add endpoint");
    expect(list).toContain("Endpoint URL");
    await expectNotFound(() => WebhookEndpointPage({ params: Promise.resolve({ id: b.endpoint.id }) }));
    await expectNotFound(() => WebhookEndpointPage({ params: Promise.resolve({ id: `we_${randomBase62(20)}` }) }));
    const own = html(await WebhookEndpointPage({ params: Promise.resolve({ id: a.endpoint.id }) }));
    expect(own).toContain(a.marker);
    expect(own).toContain("webhook.test");
    expect(own).toContain("HTTP 200");
    expect(own).toContain("Resend");
    for (const page of [list, own]) {
      expect(page).not.toContain(a.secret);
      expect(page).not.toContain(a.secret.slice(6, 20));
      expect(page).not.toMatch(/whsec_[A-Za-z0-9+/]{8}/);
    }
  });
});
