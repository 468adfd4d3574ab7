import { NextRequest } from "next/server";
import { describe, expect, it, vi } from "vitest";
import { acceptedRequestId, requestIdFrom } from "@/lib/http/request-id";
import { proxy } from "@/proxy";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder, signStandard, withWebhookSecret } from "../fixtures";

/** Every line the app logs in this file, parsed. */
const logged = vi.hoisted(() => ({ lines: [] as Record<string, unknown>[] }));
vi.mock("@/lib/logger", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/logger")>();
  return { ...actual, logger: actual.createLogger({ write: (line: string) => void logged.lines.push(JSON.parse(line)) }, "info") };
});
vi.mock("next/headers", () => ({
  cookies: async () => ({ get: () => undefined, set: () => {} }),
  headers: async () => new Headers({ "x-forwarded-for": "198.51.100.7" }),
}));

const { POST } = await import("@/app/api/webhooks/whop/[tenantId]/route");
const { GET } = await import("@/app/pay/[slug]/route");

withTestDatabase();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("request ids", () => {
  it("accepts a sane incoming x-request-id (≤ 64 of [A-Za-z0-9._-]) and replaces anything else", () => {
    expect(acceptedRequestId("lb-7f3a.42_x")).toBe("lb-7f3a.42_x");
    expect(acceptedRequestId("a".repeat(64))).toBe("a".repeat(64));
    for (const junk of ["a".repeat(65), "has space", "semi;colon", 'quote"', "new\nline", "ünï", ""]) {
      expect(acceptedRequestId(junk)).toBeNull();
    }
    expect(requestIdFrom(new Headers({ "x-request-id": "bad id!" }))).toMatch(UUID);
    expect(requestIdFrom(new Headers())).not.toBe(requestIdFrom(new Headers()));
  });

  it("the proxy forwards the id to the app and echoes it on the response", async () => {
    const kept = await proxy(new NextRequest("http://localhost/dashboard", { headers: { "x-request-id": "from-lb-123" } }));
    expect(kept.headers.get("x-request-id")).toBe("from-lb-123");
    expect(kept.headers.get("x-middleware-request-x-request-id")).toBe("from-lb-123");

    const fresh = await proxy(new NextRequest("http://localhost/pay/x", { headers: { "x-request-id": "<script>" } }));
    const id = fresh.headers.get("x-request-id");
    expect(id).toMatch(UUID);
    expect(fresh.headers.get("x-middleware-request-x-request-id")).toBe(id);
  });
});

describe("one log line per webhook delivery and per checkout, tagged with the request id", () => {
  it("webhook: tenant, event type, result, status, duration — never the body or the signature; id echoed", async () => {
    const { tenant: connected } = await connectedMerchant();
    const { tenant, secret } = await withWebhookSecret(connected);
    const order = await fixtureOrder(tenant, await fixtureItem(tenant));
    const body = JSON.stringify({
      id: "msg_ops000000000000000000001",
      api_version: "v1",
      type: "payment.succeeded",
      data: { id: "pay_ops0000000001", status: "paid", total: 29.99, currency: "usd", metadata: { order_id: order.id, tenant_id: order.tenantId }, user: { email: "buyer-ops@example.com" } },
    });
    const signed = signStandard(secret, body);
    logged.lines = [];
    const response = await POST(
      new Request(`http://localhost/api/webhooks/whop/${tenant.publicId}`, { method: "POST", body, headers: { "content-type": "application/json", "x-request-id": "whop-retry-1", ...signed } }),
      { params: Promise.resolve({ tenantId: tenant.publicId }) },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("whop-retry-1");
    expect(logged.lines).toEqual([
      expect.objectContaining({ level: "info", requestId: "whop-retry-1", tenant: tenant.publicId, eventType: "payment.succeeded", result: "recorded", status: 200, durationMs: expect.any(Number), msg: "webhook delivery" }),
    ]);
    const text = JSON.stringify(logged.lines);
    expect(text).not.toContain("buyer-ops@example.com");
    expect(text).not.toContain(signed["webhook-signature"]);
    expect(text).not.toContain(secret);

    logged.lines = [];
    const rejected = await POST(new Request(`http://localhost/api/webhooks/whop/${tenant.publicId}`, { method: "POST", body, headers: { "webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA" } }), {
      params: Promise.resolve({ tenantId: tenant.publicId }),
    });
    expect(rejected.status).toBe(401);
    expect(rejected.headers.get("x-request-id")).toMatch(UUID);
    expect(logged.lines).toEqual([expect.objectContaining({ level: "info", requestId: rejected.headers.get("x-request-id"), tenant: tenant.publicId, result: "rejected", status: 401 })]);
  });

  it("checkout: slug, outcome, status, duration with the request id the proxy set", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant, { active: false });
    logged.lines = [];
    const response = await GET(new Request(`http://localhost/pay/${item.slug}`, { headers: { "x-request-id": "req-checkout-1" } }), { params: Promise.resolve({ slug: item.slug }) });
    expect(response.status).toBe(410);
    expect(logged.lines).toEqual([
      expect.objectContaining({ level: "info", requestId: "req-checkout-1", slug: item.slug, outcome: "gone", status: 410, durationMs: expect.any(Number), msg: "buyer checkout" }),
    ]);
  });
});
