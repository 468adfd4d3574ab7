import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signStandardWebhook, signWhopV5 } from "@/sandbox/webhooks";
import {
  api,
  createCheckout,
  createCompany,
  registerWebhook,
  startReceiver,
  startSandbox,
  submitCheckout,
  waitFor,
  type Receiver,
  type Sandbox,
} from "./helpers";

let sandbox: Sandbox;
const receivers: Receiver[] = [];

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

function verifyStandard(secret: string, body: string, headers: Record<string, string | string[] | undefined>) {
  const wh = new Webhook(Buffer.from(secret, "utf8").toString("base64"));
  return wh.verify(body, {
    "webhook-id": String(headers["webhook-id"]),
    "webhook-timestamp": String(headers["webhook-timestamp"]),
    "webhook-signature": String(headers["webhook-signature"]),
  });
}

function verifyV5(secret: string, body: string, header: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]+)$/.exec(header);
  if (!match) return false;
  const expected = createHmac("sha256", secret).update(`${match[1]}.${body}`).digest();
  const given = Buffer.from(match[2]!, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sandbox.close());

describe("webhook signatures", () => {
  it("scheme 1 verifies with the standardwebhooks library given base64 of the secret", () => {
    const secret = "ws_abcDEF0123456789abcDEF0123456789xyz";
    const body = '{"hello":"world"}';
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signStandardWebhook(secret, "msg_1", timestamp, body);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    expect(verifyStandard(secret, body, headers)).toEqual({ hello: "world" });
    expect(() => verifyStandard(secret, '{"hello":"World"}', headers)).toThrow();
    expect(() => verifyStandard(`${secret}x`, body, headers)).toThrow();
  });

  it("scheme 2 matches an independent HMAC over t.body", () => {
    const secret = "ws_abcDEF0123456789abcDEF0123456789xyz";
    const header = signWhopV5(secret, 1_700_000_000, "{}");
    expect(header).toBe(`t=1700000000,v1=${createHmac("sha256", secret).update("1700000000.{}").digest("hex")}`);
  });
});

describe("hosted checkout and webhook delivery", () => {
  it("shows the plan, pays, redirects, and delivers signed v1 webhooks with the checkout metadata", async () => {
    const company = await createCompany(sandbox, "Flow Co");
    const hookReceiver = await receiver();
    const hook = await registerWebhook(sandbox, company, hookReceiver.url);
    const checkout = await createCheckout(sandbox, company, { metadata: { order_id: "ord_42", tenant_id: "ten_7" } });
    expect(checkout.purchase_url).toBe(`${sandbox.url}/checkout/${checkout.plan.id}/?session=${checkout.id}`);

    const page = await fetch(checkout.purchase_url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Premium template");
    expect(html).toContain("$29.99");
    expect(html).toMatch(/local Whop sandbox/i);
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/>Pay<\/button>/);
    expect(html).toMatch(/>Decline<\/button>/);

    const paid = await submitCheckout(checkout.purchase_url, "pay", "Alice@Example.com");
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toBe("https://app.example/pay/premium/done?order=ord_1");

    await waitFor(() => hookReceiver.received.length >= 2);
    const byType = Object.fromEntries(hookReceiver.received.map((r) => [r.json.type as string, r]));
    const payment = byType["payment.succeeded"]!;
    const membership = byType["membership.activated"]!;
    expect(payment.json).toMatchObject({ api_version: "v1", company_id: company.companyId });
    expect(payment.json.id).toMatch(/^msg_[0-9A-Za-z]{24}$/);
    expect(payment.headers["webhook-id"]).toBe(payment.json.id);
    expect(payment.headers["content-type"]).toBe("application/json");
    expect(verifyStandard(hook.webhook_secret, payment.body, payment.headers)).toBeTruthy();
    expect(verifyStandard(hook.webhook_secret, membership.body, membership.headers)).toBeTruthy();

    const paymentData = payment.json.data as Record<string, unknown>;
    expect(paymentData).toMatchObject({
      status: "paid",
      substatus: "succeeded",
      total: 29.99,
      subtotal: 29.99,
      usd_total: 29.99,
      currency: "usd",
      checkout_configuration_id: checkout.id,
      metadata: { order_id: "ord_42", tenant_id: "ten_7" },
      plan: { id: checkout.plan.id },
      company: { id: company.companyId },
      user: { email: "alice@example.com" },
    });
    expect(paymentData.id).toMatch(/^pay_[0-9A-Za-z]{14}$/);
    const membershipData = membership.json.data as Record<string, unknown>;
    expect(membershipData).toMatchObject({ status: "active", metadata: { order_id: "ord_42", tenant_id: "ten_7" } });
    expect(membershipData.id).toMatch(/^mem_[0-9A-Za-z]{14}$/);
    // the product has no Software Licensing
    expect(membershipData.license_key).toBeNull();
    expect((paymentData.membership as { id: string }).id).toBe(membershipData.id);

    // the payment is readable through the API with the same data
    const read = await api(sandbox, `/api/v1/payments/${paymentData.id as string}`, { key: company.companyKey });
    expect(read.json).toMatchObject({ id: paymentData.id, metadata: { order_id: "ord_42" } });

    // a paid session cannot be paid twice
    const again = await submitCheckout(checkout.purchase_url, "pay");
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/already been paid/);
    expect((await fetch(checkout.purchase_url)).status).toBe(409);
  });

  it("delivers the v5 envelope with x-whop-signature to a v5 webhook", async () => {
    const company = await createCompany(sandbox, "V5 Co");
    const hookReceiver = await receiver();
    const hook = await registerWebhook(sandbox, company, hookReceiver.url, "v5");
    const checkout = await createCheckout(sandbox, company, { metadata: { order_id: "ord_v5" } });
    await submitCheckout(checkout.purchase_url, "pay");

    await waitFor(() => hookReceiver.received.length >= 2);
    const actions = hookReceiver.received.map((r) => r.json.action).sort();
    expect(actions).toEqual(["membership.went_valid", "payment.succeeded"]);
    for (const delivery of hookReceiver.received) {
      expect(delivery.json.api_version).toBe("v5");
      expect(delivery.headers["webhook-signature"]).toBeUndefined();
      expect(verifyV5(hook.webhook_secret, delivery.body, String(delivery.headers["x-whop-signature"]))).toBe(true);
      expect(verifyV5(hook.webhook_secret, `${delivery.body} `, String(delivery.headers["x-whop-signature"]))).toBe(false);
    }
    const payment = hookReceiver.received.find((r) => r.json.action === "payment.succeeded")!.json.data as Record<string, unknown>;
    expect(payment).toMatchObject({ status: "paid", final_amount: 29.99, checkout_id: checkout.id, metadata: { order_id: "ord_v5" } });
    expect(typeof payment.paid_at).toBe("number");
    const membership = hookReceiver.received.find((r) => r.json.action === "membership.went_valid")!.json.data as Record<string, unknown>;
    expect(membership).toMatchObject({ valid: true, checkout_id: checkout.id, metadata: { order_id: "ord_v5" } });
  });

  it("Decline delivers payment.failed and leaves the session payable", async () => {
    const company = await createCompany(sandbox, "Decline Co");
    const hookReceiver = await receiver();
    await registerWebhook(sandbox, company, hookReceiver.url);
    const checkout = await createCheckout(sandbox, company);
    const declined = await submitCheckout(checkout.purchase_url, "decline");
    expect(declined.status).toBe(200);
    expect(await declined.text()).toMatch(/declined/i);

    await waitFor(() => hookReceiver.received.length >= 1);
    expect(hookReceiver.received).toHaveLength(1);
    expect(hookReceiver.received[0]!.json).toMatchObject({
      type: "payment.failed",
      data: { substatus: "failed", paid_at: null, metadata: { order_id: "ord_1" } },
    });
    expect((hookReceiver.received[0]!.json.data as { status: string }).status).not.toBe("paid");
    expect((await submitCheckout(checkout.purchase_url, "pay")).status).toBe(303);
  });

  it("retries a failing receiver after 10 s, 20 s, 40 s (scaled) and logs every attempt", async () => {
    const company = await createCompany(sandbox, "Retry Co");
    const hookReceiver = await receiver();
    hookReceiver.respondWith([500, 500]);
    const hook = await registerWebhook(sandbox, company, hookReceiver.url);
    // only payment.succeeded, so attempts are easy to count
    await api(sandbox, `/api/v1/webhooks/${hook.id}`, { method: "DELETE", key: company.companyKey });
    const created = await api(sandbox, "/api/v1/webhooks", {
      key: company.companyKey,
      body: { url: hookReceiver.url, api_version: "v1", enabled: true, events: ["payment.succeeded"], resource_id: company.companyId },
    });
    expect(created.status).toBe(200);
    const checkout = await createCheckout(sandbox, company);
    await submitCheckout(checkout.purchase_url, "pay");

    const deliveries = async () =>
      (await api(sandbox, `/_sandbox/deliveries?company_id=${company.companyId}`)).json.data as Array<Record<string, unknown>>;
    await waitFor(() => hookReceiver.received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hookReceiver.received.map((r) => r.answeredWith)).toEqual([500, 500, 200]);
    expect(new Set(hookReceiver.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    const attempts = await deliveries();
    expect(attempts.map((a) => [a.attempt, a.status_code, a.delivered, a.event_type])).toEqual([
      [1, 500, false, "payment.succeeded"],
      [2, 500, false, "payment.succeeded"],
      [3, 200, true, "payment.succeeded"],
    ]);
    expect(attempts[0]!.webhook_id).toBe(created.json.id);
  });

  it("gives up after the third retry", async () => {
    const company = await createCompany(sandbox, "Dead Co");
    const hookReceiver = await receiver();
    hookReceiver.respondWith([503, 503, 503, 503, 503, 503]);
    await api(sandbox, "/api/v1/webhooks", {
      key: company.companyKey,
      body: { url: hookReceiver.url, events: ["payment.failed"], resource_id: company.companyId },
    });
    const checkout = await createCheckout(sandbox, company);
    await submitCheckout(checkout.purchase_url, "decline");
    await waitFor(() => hookReceiver.received.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hookReceiver.received).toHaveLength(4);
  });

  it("times out a receiver that never answers, retries, and close() still returns promptly", async () => {
    const slow = await startSandbox({ timeScale: 0.001 });
    const hanging = await import("node:http").then(({ createServer }) => createServer(() => {}));
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    try {
      const port = (hanging.address() as { port: number }).port;
      await api(slow, "/api/v1/webhooks", {
        key: slow.seed.companyKey,
        body: { url: `http://127.0.0.1:${port}/hook`, events: ["payment.succeeded"], resource_id: slow.seed.companyId },
      });
      const checkout = await createCheckout(slow, slow.seed);
      await api(slow, `/_sandbox/checkouts/${checkout.id}/pay`, { body: {} });
      const attempts = await waitFor(async () => {
        const data = (await api(slow, "/_sandbox/deliveries")).json.data as Array<{ error: string | null; finished_at: string | null }>;
        return data.length >= 2 && data[0]!.finished_at ? data : null;
      });
      expect(attempts[0]!.error).toMatch(/timed out/);
    } finally {
      const started = Date.now();
      await slow.close();
      expect(Date.now() - started).toBeLessThan(1000);
      hanging.closeAllConnections();
      hanging.close();
    }
  });

  it("refunds through the control endpoint: refund.created pending, then refund.updated succeeded and the payment refunded", async () => {
    const company = await createCompany(sandbox, "Refund Co");
    const hookReceiver = await receiver();
    await registerWebhook(sandbox, company, hookReceiver.url);
    const checkout = await createCheckout(sandbox, company, { metadata: { order_id: "ord_r" } });
    const paid = await api(sandbox, `/_sandbox/checkouts/${checkout.id}/pay`, { body: {} });
    await waitFor(() => hookReceiver.received.length >= 2);
    const paymentId = paid.json.id as string;
    const readPayment = async () => (await api(sandbox, `/api/v1/payments/${paymentId}`, { key: company.companyKey })).json;
    const updates = () => hookReceiver.received.filter((r) => r.json.type === "refund.updated");

    const partial = await api(sandbox, `/_sandbox/payments/${paymentId}/refund`, { body: { amount: 10 } });
    expect(partial.json).toMatchObject({ id: expect.stringMatching(/^rfnd_/), status: "pending", amount: 10, payment: { id: paymentId } });
    await waitFor(() => updates().length >= 1);
    expect(await readPayment()).toMatchObject({ status: "paid", substatus: "partially_refunded", refunded_amount: 10 });
    const full = await api(sandbox, `/_sandbox/payments/${paymentId}/refund`, { body: {} });
    expect(full.json).toMatchObject({ status: "pending", amount: 19.99 });
    expect((await api(sandbox, `/_sandbox/payments/${paymentId}/refund`, { body: {} })).status).toBe(400);
    await waitFor(() => updates().length >= 2);
    expect(await readPayment()).toMatchObject({ status: "paid", substatus: "refunded", refunded_amount: 29.99 });

    const created = hookReceiver.received.filter((r) => r.json.type === "refund.created").map((r) => r.json.data as Record<string, unknown>);
    expect(created.map((r) => r.status)).toEqual(["pending", "pending"]);
    expect(created[0]).toMatchObject({ amount: 10, currency: "usd", payment: { id: paymentId, metadata: { order_id: "ord_r" } } });
    expect(updates().map((r) => (r.json.data as { status: string }).status)).toEqual(["succeeded", "succeeded"]);
    const membership = await api(sandbox, `/api/v1/memberships/${(paid.json.membership as { id: string }).id}`, { key: company.companyKey });
    expect(membership.json.status).toBe("active");
  });

  it("a hand-built checkout URL without the session loses the metadata", async () => {
    const company = await createCompany(sandbox, "Handmade Co");
    const hookReceiver = await receiver();
    await registerWebhook(sandbox, company, hookReceiver.url);
    const checkout = await createCheckout(sandbox, company, { metadata: { order_id: "ord_lost" } });
    const bare = `${sandbox.url}/checkout/${checkout.plan.id}/`;
    expect((await fetch(bare)).status).toBe(200);
    expect((await submitCheckout(bare, "pay")).status).toBe(200);
    await waitFor(() => hookReceiver.received.length >= 2);
    const payment = hookReceiver.received.find((r) => r.json.type === "payment.succeeded")!.json.data as Record<string, unknown>;
    expect(payment).toMatchObject({ metadata: {}, checkout_configuration_id: null });
  });

  it("does not deliver to disabled webhooks or to other companies", async () => {
    const company = await createCompany(sandbox, "Quiet Co");
    const other = await createCompany(sandbox, "Other Co");
    const quiet = await receiver();
    const noisy = await receiver();
    await api(sandbox, "/api/v1/webhooks", {
      key: company.companyKey,
      body: { url: quiet.url, enabled: false, resource_id: company.companyId },
    });
    await registerWebhook(sandbox, other, noisy.url);
    const checkout = await createCheckout(sandbox, company);
    await submitCheckout(checkout.purchase_url, "pay");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(quiet.received).toHaveLength(0);
    expect(noisy.received).toHaveLength(0);
  });
});
