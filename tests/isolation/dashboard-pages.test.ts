import { describe, expect, it, vi } from "vitest";
import EventsPage from "@/app/dashboard/events/page";
import EditItemPage from "@/app/dashboard/items/[id]/page";
import ItemsPage from "@/app/dashboard/items/page";
import DashboardLayout from "@/app/dashboard/layout";
import OrderPage from "@/app/dashboard/orders/[id]/page";
import OrdersPage from "@/app/dashboard/orders/page";
import SubscriptionsPage from "@/app/dashboard/subscriptions/page";
import DashboardPage from "@/app/dashboard/page";
import WhopIntegrationPage from "@/app/dashboard/integrations/whop/page";
import OnboardingPage from "@/app/onboarding/page";
import { db } from "@/db/client";
import { webhookEvents, type Item, type Order, type Tenant } from "@/db/schema";
import { signUp } from "@/lib/auth/accounts";
import { randomBase62 } from "@/lib/ids";
import { checkoutLink } from "@/lib/items/items";
import { listWebhookEvents, orderEvents } from "@/lib/ledger/events";
import { orderLedger } from "@/lib/ledger/queries";
import { getOrder, listOrders } from "@/lib/orders/queries";
import { webhookUrl } from "@/lib/tenants/webhook-secret";
import { uniqueEmail, withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder, withWebhookSecret } from "../fixtures";
import { expectNotFound, expectRedirect, html } from "./next-errors";
import { signInAs, signOut } from "./session";
import { tenantSnapshot } from "./snapshot";

vi.mock("@/lib/auth/session", () => import("./session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));
// Rendering outside Next has no mounted app router; notFound() and redirect() stay the real ones.
vi.mock("next/navigation", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/navigation")>()),
  useRouter: () => ({ push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() }),
}));

withTestDatabase();

/*
 * Every dashboard page, called as Next calls it, by merchant A with merchant B's ids: B's rows are
 * never found (404) and never listed. Each marker is random, so a leak of B's data into A's HTML
 * shows up as B's marker in the markup.
 */

async function recordEvent(tenant: Tenant, order: Order | null, marker: string) {
  await db()
    .insert(webhookEvents)
    .values({
      tenantId: tenant.id,
      eventKey: `msg_${randomBase62(24)}`,
      eventType: "payment.succeeded",
      scheme: "standard",
      result: "applied",
      detail: `detail ${marker}`,
      orderId: order?.id ?? null,
      payload: JSON.stringify({ marker }),
    });
}

/**
 * A merchant with a webhook secret, an item, an order on it (buyer email known) with its ledger (a
 * payment and a pending refund, ids carrying the marker) and a recorded webhook event.
 */
async function merchantWithData(label: string) {
  const merchant = await connectedMerchant();
  const { tenant } = await withWebhookSecret(merchant.tenant);
  const marker = `${label}${randomBase62(12)}`;
  const item: Item = await fixtureItem(tenant, { title: `Item ${marker}`, description: `About ${marker}` });
  const placed: Order = await fixtureOrder(tenant, item, { buyerEmail: `buyer-${marker.toLowerCase()}@example.com`, whopPaymentId: `pay_${marker}` });
  const { order } = await fixtureLedger(tenant, placed, { payments: [{ id: `pay_${marker}` }], refunds: [{ id: `rfnd_${marker}`, status: "pending", amountMinor: 500 }] });
  await recordEvent(tenant, order, marker);
  return { ...merchant, tenant, marker, item, order };
}

const params = (id: string) => ({ params: Promise.resolve({ id }) });
const search = (query: Record<string, string> = {}) => ({ searchParams: Promise.resolve(query) });

/** base64url("<iso>|<id>"), the shape listOrders' cursor has, forged from another tenant's order. */
const cursorAt = (order: Order) => Buffer.from(`${order.createdAt.toISOString()}|${order.id}`).toString("base64url");

describe("/dashboard/items/[id]", () => {
  it("answers 404 to merchant A for merchant B's item, and shows it to B", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    signInAs(a);
    await expectNotFound(() => EditItemPage(params(b.item.id)));
    await expectNotFound(() => EditItemPage(params(`item_${randomBase62(20)}`)));

    signInAs(b);
    const page = html(await EditItemPage(params(b.item.id)));
    expect(page).toContain(`Item ${b.marker}`);
    expect(page).toContain(b.item.id);
  });
});

describe("/dashboard/orders/[id]", () => {
  it("answers 404 to merchant A for merchant B's order, and shows it with its timeline to B", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    signInAs(a);
    await expectNotFound(() => OrderPage(params(b.order.id)));
    await expectNotFound(() => OrderPage(params(`ord_${randomBase62(20)}`)));

    signInAs(b);
    const page = html(await OrderPage(params(b.order.id)));
    expect(page).toContain(b.order.id);
    expect(page).toContain(`Item ${b.marker}`);
    expect(page).toContain(`detail ${b.marker}`);
    // The Ledger card: B's own payment and refund, each by its Whop id.
    expect(page).toContain('aria-label="Ledger"');
    expect(page).toContain(`pay_${b.marker}`);
    expect(page).toContain(`rfnd_${b.marker}`);
    expect(page).not.toContain(a.marker);
  });

  it("offers “Accept this payment” on B's order whose amount differs to B only", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");
    const placed = await fixtureOrder(b.tenant, b.item);
    const { order: differs } = await fixtureLedger(b.tenant, placed, { payments: [{ id: `pay_differs${b.marker}`, amountMinor: placed.amountMinor + 500 }] });
    expect(differs.amountMismatch).toBe(true);

    signInAs(a);
    await expectNotFound(() => OrderPage(params(differs.id)));

    signInAs(b);
    const page = html(await OrderPage(params(differs.id)));
    expect(page).toContain("Accept this payment");
    expect(page).toContain(`value="${differs.id}"`);
    expect(page).toContain(`pay_differs${b.marker}`);
    // An order whose payment matches has nothing to accept.
    expect(html(await OrderPage(params(b.order.id)))).not.toContain("Accept this payment");
  });

  it("the queries behind it are scoped: B's order and its events are invisible under A's tenant id", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    expect(await getOrder(a.tenant.id, b.order.id)).toBeUndefined();
    expect(await orderEvents(a.tenant.id, b.order.id)).toEqual([]);
    expect(await orderLedger(a.tenant.id, b.order.id)).toEqual({ payments: [], refunds: [], disputes: [], requests: [] });
    expect((await getOrder(b.tenant.id, b.order.id))?.order.id).toBe(b.order.id);
    expect((await orderEvents(b.tenant.id, b.order.id)).map((e) => e.detail)).toEqual([`detail ${b.marker}`]);
    const ledger = await orderLedger(b.tenant.id, b.order.id);
    expect(ledger.payments.map((p) => [p.tenantId, p.id])).toEqual([[b.tenant.id, `pay_${b.marker}`]]);
    expect(ledger.refunds.map((r) => [r.tenantId, r.id])).toEqual([[b.tenant.id, `rfnd_${b.marker}`]]);
  });
});

describe("/dashboard/items", () => {
  it("lists only the signed-in merchant's items", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    signInAs(a);
    const page = html(await ItemsPage());
    expect(page).toContain(`Item ${a.marker}`);
    expect(page).toContain(checkoutLink(a.item));
    expect(page).not.toContain(b.marker);
    expect(page).not.toContain(b.item.id);
    expect(page).not.toContain(b.item.slug);
  });
});

describe("/dashboard/subscriptions", () => {
  it("lists only the signed-in merchant's subscriptions, also with a cursor forged from B's", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");
    const mine = await fixtureOrder(a.tenant, a.item, { billingPeriodDays: 30, subscriptionState: "active", buyerEmail: `sub-${a.marker.toLowerCase()}@example.com` });
    const theirs = await fixtureOrder(b.tenant, b.item, { billingPeriodDays: 30, subscriptionState: "active", buyerEmail: `sub-${b.marker.toLowerCase()}@example.com` });

    signInAs(a);
    const page = html(await SubscriptionsPage(search()));
    expect(page).toContain(`/dashboard/orders/${mine.id}`);
    expect(page).not.toContain(theirs.id);
    expect(page).not.toContain(b.marker.toLowerCase());
    const forged = html(await SubscriptionsPage(search({ cursor: cursorAt({ ...theirs, createdAt: new Date(Date.now() + 60_000) }) })));
    expect(forged).toContain(mine.id);
    expect(forged).not.toContain(theirs.id);
  });
});

describe("/dashboard/orders", () => {
  it("lists only the signed-in merchant's orders, and item filters list only that merchant's items", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    signInAs(a);
    const page = html(await OrdersPage(search()));
    expect(page).toContain(`/dashboard/orders/${a.order.id}`);
    expect(page).toContain(a.order.buyerEmail!);
    expect(page).not.toContain(b.marker.toLowerCase());
    expect(page).not.toContain(b.order.id);
    expect(page).not.toContain(b.item.id);
  });

  it("filtering A's list by B's item id finds nothing", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    signInAs(a);
    const page = html(await OrdersPage(search({ item: b.item.id })));
    expect(page).toContain("No orders match these filters.");
    expect(page).not.toContain(b.order.id);
    expect((await listOrders(a.tenant.id, { item: b.item.id })).rows).toEqual([]);
  });

  it("a cursor forged from B's order still pages through A's orders only", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");
    // B's order is the newest, so a cursor at it sits above every order of A's.
    const later = await fixtureOrder(b.tenant, b.item, { createdAt: new Date(Date.now() + 60_000) });

    signInAs(a);
    const page = html(await OrdersPage(search({ cursor: cursorAt(later) })));
    expect(page).toContain(a.order.id);
    expect(page).not.toContain(b.order.id);
    const { rows } = await listOrders(a.tenant.id, { cursor: cursorAt(later) });
    expect(rows.map((row) => row.order.tenantId)).toEqual([a.tenant.id]);
  });
});

describe("/dashboard/events", () => {
  it("shows only the signed-in merchant's webhook deliveries", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    signInAs(a);
    const page = html(await EventsPage(search()));
    expect(page).toContain(`detail ${a.marker}`);
    expect(page).not.toContain(b.marker);
    expect((await listWebhookEvents(a.tenant.id, {})).events.map((e) => e.tenantId)).toEqual([a.tenant.id]);
  });
});

describe("/dashboard and /dashboard/integrations/whop", () => {
  it("show the signed-in merchant's company, key hint and webhook URL, never another merchant's", async () => {
    const a = await merchantWithData("A");
    const b = await merchantWithData("B");

    signInAs(a);
    const overview = html(await DashboardPage());
    expect(overview).toContain(a.tenant.whopCompanyId!);
    expect(overview).not.toContain(b.tenant.whopCompanyId!);

    const integration = html(await WhopIntegrationPage());
    expect(integration).toContain(webhookUrl(a.tenant));
    expect(integration).toContain(a.tenant.whopApiKeyHint!);
    expect(integration).not.toContain(b.tenant.publicId);
    expect(integration).not.toContain(b.tenant.whopCompanyId!);
    expect(integration).not.toContain(b.apiKey);

    const layout = html(await DashboardLayout({ children: null }));
    expect(layout).toContain(a.user.email);
    expect(layout).not.toContain(b.user.email);
  });
});

describe("/onboarding", () => {
  it("shows the wizard to a merchant not yet connected and sends a connected one to the dashboard", async () => {
    const fresh = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
    if (!fresh.ok) throw new Error("sign-up failed");
    signInAs(fresh);
    expect(html(await OnboardingPage())).toContain("Whop API key");

    signInAs(await connectedMerchant());
    await expectRedirect(() => OnboardingPage(), "/dashboard");
  });
});

describe("signed out", () => {
  it("every dashboard page and the onboarding wizard redirect to /login and touch nothing", async () => {
    const b = await merchantWithData("B");
    const before = await tenantSnapshot(b.tenant.id);
    signOut();

    await expectRedirect(() => DashboardLayout({ children: null }), "/login");
    await expectRedirect(() => DashboardPage(), "/login");
    await expectRedirect(() => ItemsPage(), "/login");
    await expectRedirect(() => EditItemPage(params(b.item.id)), "/login");
    await expectRedirect(() => OrdersPage(search()), "/login");
    await expectRedirect(() => OrderPage(params(b.order.id)), "/login");
    await expectRedirect(() => EventsPage(search()), "/login");
    await expectRedirect(() => WhopIntegrationPage(), "/login");
    await expectRedirect(() => OnboardingPage(), "/login");

    expect(await tenantSnapshot(b.tenant.id)).toBe(before);
  });
});
