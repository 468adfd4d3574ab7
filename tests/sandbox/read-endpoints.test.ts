import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  control,
  createCheckout,
  createCompany,
  deliveriesOf,
  paidPurchase,
  sleep,
  startReceiver,
  startSandbox,
  waitFor,
  type Receiver,
  type Sandbox,
} from "./helpers";

/* Reading refunds, disputes, memberships and webhooks back, and editing a webhook, with a company key. */

let sandbox: Sandbox;
const receivers: Receiver[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sandbox.close());

const ids = (page: { data: Array<{ id: string }> }) => page.data.map((r) => r.id);

describe("GET /api/v1/refunds", () => {
  it("lists a payment's or a company's refunds newest first in v1 pages; one refund reads in full", async () => {
    const { company, paymentId } = await paidPurchase(sandbox, receivers);
    const other = await paidPurchase(sandbox, receivers, { company });
    const a = (await control(sandbox, `/payments/${paymentId}/refund`, { amount: 1, settle: "hold" })).json.id as string;
    const b = (await control(sandbox, `/payments/${paymentId}/refund`, { amount: 2, settle: "hold" })).json.id as string;
    const c = (await control(sandbox, `/payments/${other.paymentId}/refund`, { amount: 3, settle: "hold" })).json.id as string;
    await control(sandbox, `/refunds/${a}/fail`);
    const list = (query: string, key = company.companyKey) => api(sandbox, `/api/v1/refunds?${query}`, { key });

    const byPayment = await list(`payment_id=${paymentId}`);
    expect(byPayment.status).toBe(200);
    expect(ids(byPayment.json)).toEqual([b, a]);
    expect(byPayment.json.page_info).toMatchObject({ end_cursor: expect.any(String), has_next_page: false });
    // list items embed only the payment's id
    expect(byPayment.json.data[1]).toMatchObject({ id: a, amount: 1, currency: "usd", status: "failed", created_at: expect.any(String), payment: { id: paymentId } });
    expect(Object.keys(byPayment.json.data[1].payment as object)).toEqual(["id"]);
    expect(ids((await list(`company_id=${company.companyId}`)).json)).toEqual([c, b, a]);
    expect(ids((await list(`company_id=${company.companyId}&direction=asc`)).json)).toEqual([a, b, c]);
    expect((await list(`company_id=${company.companyId}&created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json.data).toEqual([]);

    const page1 = await list(`company_id=${company.companyId}&first=2`);
    expect(ids(page1.json)).toEqual([c, b]);
    expect(page1.json.page_info.has_next_page).toBe(true);
    expect(ids((await list(`company_id=${company.companyId}&first=2&after=${page1.json.page_info.end_cursor as string}`)).json)).toEqual([a]);

    const one = await api(sandbox, `/api/v1/refunds/${b}`, { key: company.companyKey });
    expect(one.json).toMatchObject({ id: b, amount: 2, status: "pending", payment: { id: paymentId, total: 29.99, metadata: { order_id: "ord_as" } } });
    for (const absent of ["status", "substatus", "refunded_amount"]) expect(one.json.payment).not.toHaveProperty(absent);
  });

  it("needs payment:basic:read and a scope of the key's own company", async () => {
    const { company, paymentId } = await paidPurchase(sandbox, receivers);
    const refundId = (await control(sandbox, `/payments/${paymentId}/refund`, { settle: "hold" })).json.id as string;
    const stranger = await createCompany(sandbox, "Stranger Co");
    expect((await api(sandbox, "/api/v1/refunds", { key: company.companyKey })).json.error.message).toBe("Missing required parameter: company_id");
    const restricted = await api(sandbox, `/api/v1/refunds?payment_id=${paymentId}`, { key: company.restrictedKey });
    expect(restricted.status).toBe(403);
    expect(restricted.json.error.message).toContain("`payment:basic:read`");
    expect((await api(sandbox, `/api/v1/refunds?company_id=${company.companyId}`, { key: stranger.companyKey })).status).toBe(403);
    expect((await api(sandbox, `/api/v1/refunds?payment_id=${paymentId}`, { key: stranger.companyKey })).status).toBe(404);
    expect((await api(sandbox, `/api/v1/refunds/${refundId}`, { key: stranger.companyKey })).status).toBe(404);
    expect((await api(sandbox, "/api/v1/refunds/rfnd_DoesNotExist01", { key: company.companyKey })).status).toBe(404);
  });
});

describe("GET /api/v1/disputes", () => {
  it("lists a company's disputes (optionally one payment's) and reads one in full, without payment metadata", async () => {
    const { company, paymentId } = await paidPurchase(sandbox, receivers);
    const other = await paidPurchase(sandbox, receivers, { company });
    const a = (await control(sandbox, `/payments/${paymentId}/dispute`, { amount: 5 })).json.id as string;
    await control(sandbox, `/disputes/${a}/lose`);
    const b = (await control(sandbox, `/payments/${other.paymentId}/dispute`)).json.id as string;
    const list = (query: string, key = company.companyKey) => api(sandbox, `/api/v1/disputes?${query}`, { key });

    const all = await list(`company_id=${company.companyId}`);
    expect(all.status).toBe(200);
    expect(ids(all.json)).toEqual([b, a]);
    expect(all.json.page_info).toMatchObject({ has_next_page: false });
    expect(all.json.data[1]).toMatchObject({ id: a, status: "lost", amount: 5, currency: "usd", reason: "fraudulent", needs_response_by: expect.any(String), payment: { id: paymentId } });
    expect(Object.keys(all.json.data[1].payment as object)).toEqual(["id"]);
    expect(ids((await list(`company_id=${company.companyId}&payment_id=${paymentId}`)).json)).toEqual([a]);
    expect(ids((await list(`payment_id=${other.paymentId}`)).json)).toEqual([b]);
    const page1 = await list(`company_id=${company.companyId}&first=1`);
    expect(page1.json.page_info.has_next_page).toBe(true);
    expect(ids((await list(`company_id=${company.companyId}&first=1&after=${page1.json.page_info.end_cursor as string}`)).json)).toEqual([a]);

    const one = await api(sandbox, `/api/v1/disputes/${b}`, { key: company.companyKey });
    expect(one.json).toMatchObject({ id: b, status: "needs_response", amount: 29.99, payment: { id: other.paymentId, total: 29.99 } });
    expect(one.json.payment).not.toHaveProperty("metadata");
  });

  it("needs payment:dispute:read and the key's own company", async () => {
    const { company, paymentId } = await paidPurchase(sandbox, receivers);
    const disputeId = (await control(sandbox, `/payments/${paymentId}/dispute`)).json.id as string;
    const stranger = await createCompany(sandbox, "Stranger Co");
    const restricted = await api(sandbox, `/api/v1/disputes?company_id=${company.companyId}`, { key: company.restrictedKey });
    expect(restricted.status).toBe(403);
    expect(restricted.json.error.message).toContain("`payment:dispute:read`");
    expect((await api(sandbox, "/api/v1/disputes", { key: company.companyKey })).json.error.message).toBe("Missing required parameter: company_id");
    expect((await api(sandbox, `/api/v1/disputes?company_id=${company.companyId}`, { key: stranger.companyKey })).status).toBe(403);
    expect((await api(sandbox, `/api/v1/disputes/${disputeId}`, { key: stranger.companyKey })).status).toBe(404);
    expect((await api(sandbox, `/api/v1/disputes/${disputeId}`, { key: company.noWebhookKey })).status).toBe(200);
  });
});

describe("GET /api/v1/memberships/{id}", () => {
  it("reads the company's membership; another company's is 404; needs member:basic:read", async () => {
    const { company, membershipId } = await paidPurchase(sandbox, receivers);
    const read = await api(sandbox, `/api/v1/memberships/${membershipId}`, { key: company.companyKey });
    expect(read.json).toMatchObject({ id: membershipId, status: "active", metadata: { order_id: "ord_as" } });
    const stranger = await createCompany(sandbox, "Stranger Co");
    expect((await api(sandbox, `/api/v1/memberships/${membershipId}`, { key: stranger.companyKey })).status).toBe(404);
    expect((await api(sandbox, `/api/v1/memberships/${membershipId}`, { key: company.restrictedKey })).json.error.message).toContain("`member:basic:read`");
  });
});

describe("webhooks: GET, list and PATCH", () => {
  it("PATCH changes events, enabled, api_version and url; the secret stays; deliveries follow the current settings", async () => {
    const company = await createCompany(sandbox, "Hook Edit Co");
    const first = await startReceiverPushed();
    const second = await startReceiverPushed();
    const created = await api(sandbox, "/api/v1/webhooks", {
      key: company.companyKey,
      body: { url: first.url, api_version: "v1", events: ["payment.succeeded"], resource_id: company.companyId },
    });
    const hookId = created.json.id as string;
    const secret = created.json.webhook_secret as string;
    const patch = (body: unknown, key = company.companyKey) => api(sandbox, `/api/v1/webhooks/${hookId}`, { method: "PATCH", key, body });
    const pay = async () => {
      const checkout = await createCheckout(sandbox, company);
      return (await control(sandbox, `/checkouts/${checkout.id}/pay`)).json.id as string;
    };

    const paymentId = await pay();
    await waitFor(() => first.received.length >= 1);
    await control(sandbox, `/payments/${paymentId}/refund`, { amount: 1, settle: "hold" });
    await sleep(50);
    expect(first.received.map((r) => r.json.type)).toEqual(["payment.succeeded"]);

    const edited = await patch({ events: ["payment.succeeded", "refund.created", "refund.updated"] });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ id: hookId, events: ["payment.succeeded", "refund.created", "refund.updated"], url: first.url, enabled: true });
    expect(edited.json).not.toHaveProperty("webhook_secret");
    await control(sandbox, `/payments/${paymentId}/refund`, { amount: 2 });
    await waitFor(() => deliveriesOf(first, "refund.updated")[0]);
    expect(first.received.map((r) => r.json.type)).toEqual(["payment.succeeded", "refund.created", "refund.updated"]);
    const wh = new Webhook(Buffer.from(secret, "utf8").toString("base64"));
    const last = first.received.at(-1)!;
    expect(() => wh.verify(last.body, last.headers as Record<string, string>)).not.toThrow();

    // disabled: nothing; then moved to another url as v5
    await patch({ enabled: false });
    await pay();
    await sleep(50);
    expect(first.received).toHaveLength(3);
    const moved = await patch({ enabled: true, url: second.url, api_version: "v5" });
    expect(moved.json).toMatchObject({ url: second.url, api_version: "v5", enabled: true });
    await pay();
    const v5 = await waitFor(() => second.received[0]);
    expect(v5.json).toMatchObject({ action: "payment.succeeded", api_version: "v5" });
    expect(v5.headers["x-whop-signature"]).toMatch(/^t=\d+,v1=/);
    expect(first.received).toHaveLength(3);

    const read = await api(sandbox, `/api/v1/webhooks/${hookId}`, { key: company.companyKey });
    expect(read.json).toMatchObject({ id: hookId, url: second.url, api_version: "v5", events: ["payment.succeeded", "refund.created", "refund.updated"], resource_id: company.companyId });
    expect(read.json).not.toHaveProperty("webhook_secret");
    const listed = await api(sandbox, `/api/v1/webhooks?company_id=${company.companyId}`, { key: company.companyKey });
    expect(listed.json.data.map((h: { id: string }) => h.id)).toEqual([hookId]);
    expect(listed.json.page_info).toMatchObject({ has_next_page: false });
    expect(listed.json.data[0]).not.toHaveProperty("webhook_secret");
  });

  it("PATCH refuses unknown fields, unknown events and other companies' webhooks; needs developer:manage_webhook", async () => {
    const company = await createCompany(sandbox, "Hook Guard Co");
    const created = await api(sandbox, "/api/v1/webhooks", { key: company.companyKey, body: { url: "https://x.example/h", resource_id: company.companyId } });
    const path = `/api/v1/webhooks/${created.json.id as string}`;
    const patch = (body: unknown, key = company.companyKey) => api(sandbox, path, { method: "PATCH", key, body });
    const unknown = await patch({ webhook_secret: "ws_mine" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toBe("Invalid value for parameter 'webhook_secret'");
    expect((await patch({ resource_id: company.companyId })).status).toBe(400);
    expect((await patch({ events: ["payment.exploded"] })).json.error.message).toBe("Invalid value for parameter 'events'");
    expect((await patch({ api_version: "v9" })).status).toBe(400);
    expect((await patch({ url: "ftp://x.example" })).status).toBe(400);
    expect((await patch({ enabled: "yes" })).status).toBe(400);
    const refused = await patch({ enabled: false }, company.noWebhookKey);
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain("`developer:manage_webhook`");
    const stranger = await createCompany(sandbox, "Stranger Co");
    expect((await patch({ enabled: false }, stranger.companyKey)).status).toBe(404);
    expect((await api(sandbox, "/api/v1/webhooks/hook_DoesNotExist1", { method: "PATCH", key: company.companyKey, body: {} })).status).toBe(404);
    // nothing changed
    expect((await api(sandbox, path, { key: company.companyKey })).json).toMatchObject({ enabled: true, events: [] });
  });
});

async function startReceiverPushed(): Promise<Receiver> {
  const receiver = await startReceiver();
  receivers.push(receiver);
  return receiver;
}
