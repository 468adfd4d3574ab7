import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiTokenAction, revokeApiTokenAction, rotatePublishableKeyAction } from "@/app/dashboard/api/actions";
import { reapplyEventAction } from "@/app/dashboard/events/actions";
import { createWebhookAction, replaceKeyAction, saveWebhookSecretAction, updateWebhookEventsAction } from "@/app/dashboard/integrations/whop/actions";
import { createItemAction, setItemActiveAction, updateItemAction } from "@/app/dashboard/items/actions";
import { acceptPaymentAction, cancelMembershipAction, reconcileOrderAction, refundOrderAction, resetActivationsAction, subscriptionAction } from "@/app/dashboard/orders/[id]/actions";
import { deleteAccountAction } from "@/app/dashboard/settings/actions";
import {
  createWebhookEndpointAction,
  deleteWebhookEndpointAction,
  resendWebhookDeliveryAction,
  rotateWebhookSecretAction,
  sendTestWebhookAction,
  setWebhookEndpointEnabledAction,
} from "@/app/dashboard/webhooks/actions";
import { changeRoleAction, inviteMemberAction, removeMemberAction, revokeInvitationAction, setTwoFactorRequirementAction } from "@/app/dashboard/settings/team/actions";
import OrderPage from "@/app/dashboard/orders/[id]/page";
import TeamPage from "@/app/dashboard/settings/team/page";
import { connectAction } from "@/app/onboarding/actions";
import { db } from "@/db/client";
import { licenseActivations, orders, webhookEvents } from "@/db/schema";
import { invitations } from "@/db/schema-auth";
import { inviteMember } from "@/lib/auth/team";
import { and, eq } from "drizzle-orm";
import { publishableKeyFor } from "@/lib/api/publishable-keys";
import { createApiToken } from "@/lib/api/tokens";
import { signUp } from "@/lib/auth/accounts";
import { FORBIDDEN_MESSAGES } from "@/lib/auth/roles";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { newLicenseKey, sealLicenseKey } from "@/lib/licenses/keys";
import { createEndpoint } from "@/lib/outbound/endpoints";
import { uniqueEmail, withTestDatabase } from "../db";
import { addMember as member, connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder } from "../fixtures";
import { html } from "./next-errors";
import { signInRecently, signOut } from "./session";
import { tenantSnapshot } from "./snapshot";

vi.mock("@/lib/auth/session", () => import("./session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

withTestDatabase();

/*
 * Roles are checked in the use case, not by hiding buttons: a Viewer who posts any acting form of
 * the dashboard (with valid input for their own account) gets the Viewer refusal and changes
 * nothing, calls Whop for nothing; an Admin acts, but the owner's actions (the Whop key, the team,
 * deleting the account) refuse them the same way.
 */

const ORIGIN = env().whopApiOrigin;
const NO_PREVIOUS_STATE = {};
let whopCalls: string[] = [];
const server = setupServer(
  http.post(`${ORIGIN}/api/v1/products`, ({ request }) => {
    whopCalls.push(`${request.method} ${new URL(request.url).pathname}`);
    return HttpResponse.json({ id: `prod_${randomBase62(14)}` });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
beforeEach(() => {
  whopCalls = [];
});
afterEach(() => signOut());
afterAll(() => server.close());

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

/** A connected merchant's account with an item, a paid order, an order whose payment differs, an event, an API token and an endpoint. */
async function account() {
  const m = await connectedMerchant();
  const item = await fixtureItem(m.tenant);
  const { order: paid } = await fixtureLedger(m.tenant, await fixtureOrder(m.tenant, item, { whopMembershipId: `mem_${randomBase62(14)}` }), { payments: [{}] });
  const subscription = await fixtureOrder(m.tenant, item, { billingPeriodDays: 30, whopMembershipId: `mem_${randomBase62(14)}`, subscriptionState: "active", membershipStatus: "active", membershipValid: true, membershipEventAt: new Date() });
  const placed = await fixtureOrder(m.tenant, item);
  const { order: differs } = await fixtureLedger(m.tenant, placed, { payments: [{ amountMinor: placed.amountMinor + 100 }] });
  const [event] = await db()
    .insert(webhookEvents)
    .values({ tenantId: m.tenant.id, eventKey: `msg_${randomBase62(20)}`, eventType: "payment.succeeded", scheme: "standard", result: "applied", orderId: paid.id, payload: "{}" })
    .returning();
  // The paid order's license (a key of ours) is active on one machine.
  await db().update(orders).set(sealLicenseKey(m.tenant.id, paid.id, newLicenseKey())).where(and(eq(orders.tenantId, m.tenant.id), eq(orders.id, paid.id)));
  await db().insert(licenseActivations).values({ tenantId: m.tenant.id, id: `act_${randomBase62(20)}`, orderId: paid.id, instanceName: "Studio iMac" });
  await publishableKeyFor(m.tenant.id);
  const token = await createApiToken(m.actor, "existing");
  if (!token.ok) throw new Error(token.message);
  const endpoint = await createEndpoint(m.actor, { url: "http://127.0.0.1:9/hooks", eventTypes: ["order.paid"] }, { allowPrivate: true });
  if (!endpoint.ok) throw new Error(endpoint.message);
  const invited = await inviteMember(m.actor, { email: uniqueEmail("pending"), role: "viewer" });
  if (!invited.ok) throw new Error(invited.message);
  const [invitation] = await db().select().from(invitations).where(eq(invitations.accountId, m.tenant.accountId));
  return { ...m, item, paid, differs, subscription, event: event!, tokenId: token.row.id, endpointId: endpoint.endpoint.id, invitationId: invitation!.id };
}

/** Every acting form of the dashboard, with valid input for the account's own rows. */
function actingForms(a: Awaited<ReturnType<typeof account>>) {
  const itemFields = { title: "Renamed", price: "12.00", currency: "usd", description: "changed" };
  return {
    createItem: () => createItemAction(NO_PREVIOUS_STATE, form(itemFields)),
    updateItem: () => updateItemAction(NO_PREVIOUS_STATE, form({ ...itemFields, itemId: a.item.id })),
    refund: () => refundOrderAction(NO_PREVIOUS_STATE, form({ orderId: a.paid.id, amount: "1.00", reason: "", baseMinor: "0" })),
    cancelMembership: () => cancelMembershipAction(NO_PREVIOUS_STATE, form({ orderId: a.paid.id, mode: "immediate" })),
    acceptPayment: () => acceptPaymentAction(NO_PREVIOUS_STATE, form({ orderId: a.differs.id })),
    cancelAtPeriodEnd: () => subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: a.subscription.id, action: "cancel_at_period_end" })),
    cancelNow: () => subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: a.subscription.id, action: "cancel_now" })),
    resume: () => subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: a.subscription.id, action: "resume" })),
    reconcile: () => reconcileOrderAction(NO_PREVIOUS_STATE, form({ orderId: a.paid.id })),
    reapplyEvent: () => reapplyEventAction(NO_PREVIOUS_STATE, form({ eventId: String(a.event.id) })),
    saveWebhookSecret: () => saveWebhookSecretAction(NO_PREVIOUS_STATE, form({ webhookSecret: `ws_${randomBase62(40)}` })),
    createWebhook: () => createWebhookAction(NO_PREVIOUS_STATE, form({})),
    updateWebhookEvents: () => updateWebhookEventsAction(NO_PREVIOUS_STATE, form({})),
    createApiToken: () => createApiTokenAction(NO_PREVIOUS_STATE, form({ name: "viewer's token", scopes: "orders:read" })),
    revokeApiToken: () => revokeApiTokenAction(NO_PREVIOUS_STATE, form({ tokenId: a.tokenId })),
    createEndpoint: () => createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url: "https://hooks.example.com/new", eventTypes: "order.paid" })),
    rotateEndpointSecret: () => rotateWebhookSecretAction(NO_PREVIOUS_STATE, form({ endpointId: a.endpointId })),
    sendTestEvent: () => sendTestWebhookAction(NO_PREVIOUS_STATE, form({ endpointId: a.endpointId })),
    disableEndpoint: () => setWebhookEndpointEnabledAction(NO_PREVIOUS_STATE, form({ endpointId: a.endpointId, enabled: "false" })),
    deleteEndpoint: () => deleteWebhookEndpointAction(NO_PREVIOUS_STATE, form({ endpointId: a.endpointId })),
    resetActivations: () => resetActivationsAction(NO_PREVIOUS_STATE, form({ orderId: a.paid.id })),
    resendDelivery: () => resendWebhookDeliveryAction(NO_PREVIOUS_STATE, form({ deliveryId: `dlv_${randomBase62(20)}` })),
  };
}

function ownerForms(a: Awaited<ReturnType<typeof account>>) {
  return {
    replaceKey: () => replaceKeyAction(NO_PREVIOUS_STATE, form({ apiKey: `apik_${randomBase62(24)}` })),
    deleteAccount: () => deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: a.tenant.whopCompanyTitle!, password: "long enough password" })),
    invite: () => inviteMemberAction(NO_PREVIOUS_STATE, form({ email: uniqueEmail("invited"), role: "owner" })),
    revokeInvitation: () => revokeInvitationAction(NO_PREVIOUS_STATE, form({ invitationId: a.invitationId })),
    changeRole: () => changeRoleAction(NO_PREVIOUS_STATE, form({ userId: a.user.id, role: "viewer" })),
    removeMember: () => removeMemberAction(NO_PREVIOUS_STATE, form({ userId: a.user.id })),
    rotatePublishableKey: () => rotatePublishableKeyAction(NO_PREVIOUS_STATE, form({})),
    requireTwoFactor: () => setTwoFactorRequirementAction(NO_PREVIOUS_STATE, form({ required: "true" })),
  };
}

describe("a Viewer", () => {
  it("is refused every acting form, changes nothing and calls Whop for nothing", async () => {
    const a = await account();
    const viewer = await member(a, "viewer");
    const before = await tenantSnapshot(a.tenant.id);
    await signInRecently(viewer);

    for (const [name, post] of Object.entries({ ...actingForms(a), ...ownerForms(a) })) {
      const result = await post();
      const expected = name in ownerForms(a) ? FORBIDDEN_MESSAGES.owner : FORBIDDEN_MESSAGES.admin;
      expect({ name, error: result.error }).toEqual({ name, error: expected });
    }
    // The toggle form has no message area: it does nothing.
    await setItemActiveAction(form({ itemId: a.item.id, active: "false" }));

    expect(whopCalls).toEqual([]);
    expect(await tenantSnapshot(a.tenant.id)).toBe(before);
  });
});

describe("onboarding", () => {
  it("connecting the account's first Whop key is the owner's: a Viewer and an Admin are refused before Whop is asked", async () => {
    const created = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
    if (!created.ok) throw new Error("sign-up failed");
    for (const role of ["viewer", "admin"] as const) {
      await signInRecently(await member(created, role));
      expect((await connectAction(NO_PREVIOUS_STATE, form({ apiKey: `apik_${randomBase62(24)}` }))).error).toBe(FORBIDDEN_MESSAGES.owner);
    }
    expect(whopCalls).toEqual([]);
  });
});

describe("/dashboard/settings/team", () => {
  it("shows the account's own members and invitations, never another account's; a Viewer sees no team controls", async () => {
    const a = await account();
    const b = await account();
    const [aInvite] = await db().select().from(invitations).where(eq(invitations.accountId, a.tenant.accountId));
    const [bInvite] = await db().select().from(invitations).where(eq(invitations.accountId, b.tenant.accountId));
    await signInRecently(a);
    const markup = html(await TeamPage());
    for (const text of [a.user.email, aInvite!.email, "Send invitation", "Revoke"]) expect(markup).toContain(text);
    for (const text of [b.user.email, bInvite!.email]) expect(markup).not.toContain(text);

    const viewer = await member(a, "viewer");
    await signInRecently(viewer);
    const viewerMarkup = html(await TeamPage());
    expect(viewerMarkup).toContain(a.user.email);
    for (const text of ["Send invitation", "Revoke", "Change role", aInvite!.email]) expect(viewerMarkup).not.toContain(text);
    expect(viewerMarkup).toContain("Leave this account");
  });
});

describe("the order page", () => {
  it("shows a Viewer no refund, cancel, accept or check control; an Admin sees them", async () => {
    const a = await account();
    const page = async () => html(await OrderPage({ params: Promise.resolve({ id: a.paid.id }) }));
    await signInRecently(await member(a, "viewer"));
    const viewerMarkup = await page();
    expect(viewerMarkup).toContain(a.paid.id);
    for (const label of [`aria-label="Refund"`, "Cancel the buyer", "Check with Whop", "Reset activations"]) expect(viewerMarkup).not.toContain(label);
    expect(viewerMarkup).toContain("Studio iMac");
    await signInRecently(await member(a, "admin"));
    const adminMarkup = await page();
    for (const label of [`aria-label="Refund"`, "Cancel the buyer", "Check with Whop", "Reset activations"]) expect(adminMarkup).toContain(label);
  });

  it("shows a Viewer a subscription's state but not Cancel at period end or Cancel now; an Admin sees them", async () => {
    const a = await account();
    const page = async () => html(await OrderPage({ params: Promise.resolve({ id: a.subscription.id }) }));
    await signInRecently(await member(a, "viewer"));
    const viewerMarkup = await page();
    expect(viewerMarkup).toContain("Renewing every period");
    for (const label of ["Cancel at period end", "Cancel now", "Cancel the buyer"]) expect(viewerMarkup).not.toContain(label);
    await signInRecently(await member(a, "admin"));
    const adminMarkup = await page();
    for (const label of ["Cancel at period end", "Cancel now"]) expect(adminMarkup).toContain(label);
    expect(adminMarkup).not.toContain("Cancel the buyer");
  });
});

describe("an Admin", () => {
  it("acts (an item is created on Whop), but the owner's forms refuse them and change nothing", async () => {
    const a = await account();
    const admin = await member(a, "admin");
    await signInRecently(admin);

    const before = await tenantSnapshot(a.tenant.id);
    for (const [name, post] of Object.entries(ownerForms(a))) {
      expect({ name, error: (await post()).error }).toEqual({ name, error: FORBIDDEN_MESSAGES.owner });
    }
    expect(await tenantSnapshot(a.tenant.id)).toBe(before);

    expect((await actingForms(a).createItem()).success).toContain("is ready to sell");
    expect(whopCalls).toEqual(["POST /api/v1/products"]);
    expect(await tenantSnapshot(a.tenant.id)).not.toBe(before);
  });
});
