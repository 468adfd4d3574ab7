import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WHOP_API_VERSION_DATE } from "@/lib/whop/client";
import { API_KEY, makeClient, ORIGIN, whopErrorOf } from "./helpers";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const HOOK = `${ORIGIN}/api/v1/webhooks/hook_Ab12Cd34Ef56G`;

const hookJson = {
  id: "hook_Ab12Cd34Ef56G",
  url: "https://app.example/api/webhooks/whop/t_1",
  api_version: "v1",
  enabled: true,
  events: ["payment.succeeded", "refund.created"],
  resource_id: "biz_a1B2c3D4e5F6g7",
  child_resource_events: false,
  testable_events: ["payment.succeeded"],
  created_at: "2026-08-01T00:00:00.000Z",
};

describe("updateWebhook", () => {
  it("PATCHes /api/v1/webhooks/{id} with only the fields given, and reads id and events back", async () => {
    const seen: { method: string; body: unknown; headers: Headers }[] = [];
    server.use(
      http.patch(HOOK, async ({ request }) => {
        seen.push({ method: request.method, body: await request.json(), headers: request.headers });
        return HttpResponse.json({ ...hookJson, events: ["payment.succeeded", "refund.created", "dispute.created"] });
      }),
    );

    const result = await makeClient().updateWebhook({ id: "hook_Ab12Cd34Ef56G", events: ["payment.succeeded", "refund.created", "dispute.created"] });

    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("PATCH");
    expect(seen[0]!.body).toEqual({ events: ["payment.succeeded", "refund.created", "dispute.created"] });
    expect(seen[0]!.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(seen[0]!.headers.get("api-version-date")).toBe(WHOP_API_VERSION_DATE);
    expect(seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(seen[0]!.headers.get("idempotency-key")).toBeNull();
    expect(result).toEqual({ id: "hook_Ab12Cd34Ef56G", events: ["payment.succeeded", "refund.created", "dispute.created"] });
  });

  it("sends enabled when given, and never hands out a secret Whop might echo", async () => {
    let body: unknown;
    server.use(
      http.patch(HOOK, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ ...hookJson, enabled: false, webhook_secret: "ws_shouldneverleave" });
      }),
    );
    const result = await makeClient().updateWebhook({ id: "hook_Ab12Cd34Ef56G", enabled: false });
    expect(body).toEqual({ enabled: false });
    expect(result).toEqual({ id: "hook_Ab12Cd34Ef56G", events: ["payment.succeeded", "refund.created"] });
    expect(JSON.stringify(result)).not.toContain("ws_");
  });

  it("is retried after a 502: the same PATCH twice leaves the same webhook", async () => {
    let calls = 0;
    server.use(http.patch(HOOK, () => (++calls === 1 ? new HttpResponse(null, { status: 502 }) : HttpResponse.json(hookJson))));
    await makeClient().updateWebhook({ id: "hook_Ab12Cd34Ef56G", events: ["payment.succeeded"] });
    expect(calls).toBe(2);
  });

  it("a 403 names developer:manage_webhook", async () => {
    server.use(http.patch(HOOK, () => HttpResponse.json({ error: { type: "forbidden", message: "Missing permission `developer:manage_webhook`" } }, { status: 403 })));
    const err = await whopErrorOf(() => makeClient().updateWebhook({ id: "hook_Ab12Cd34Ef56G", events: ["payment.succeeded"] }));
    expect(err).toMatchObject({ kind: "forbidden", missingPermissions: ["developer:manage_webhook"] });
  });
});

describe("getWebhook", () => {
  it("GETs /api/v1/webhooks/{id} and reads id, url, events and enabled, never a secret", async () => {
    let headers: Headers | undefined;
    server.use(
      http.get(HOOK, ({ request }) => {
        headers = request.headers;
        return HttpResponse.json({ ...hookJson, webhook_secret: "ws_shouldneverleave" });
      }),
    );
    const hook = await makeClient().getWebhook("hook_Ab12Cd34Ef56G");
    expect(headers?.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(headers?.get("api-version-date")).toBe(WHOP_API_VERSION_DATE);
    expect(hook).toEqual({
      id: "hook_Ab12Cd34Ef56G",
      url: "https://app.example/api/webhooks/whop/t_1",
      events: ["payment.succeeded", "refund.created"],
      enabled: true,
    });
  });

  it("reads a sparse webhook: no events means none, unknown enabled is null", async () => {
    server.use(http.get(HOOK, () => HttpResponse.json({ id: "hook_Ab12Cd34Ef56G", url: null, events: null })));
    expect(await makeClient().getWebhook("hook_Ab12Cd34Ef56G")).toEqual({ id: "hook_Ab12Cd34Ef56G", url: null, events: [], enabled: null });
  });
});

describe("listWebhooks", () => {
  it("GETs /api/v1/webhooks?company_id=… and reads each webhook without its secret", async () => {
    let query: Record<string, string> | undefined;
    server.use(
      http.get(`${ORIGIN}/api/v1/webhooks`, ({ request }) => {
        query = Object.fromEntries(new URL(request.url).searchParams);
        return HttpResponse.json({
          data: [hookJson, { id: "hook_Other000000", url: "https://elsewhere.example/h", enabled: false, events: ["invoice.paid"], webhook_secret: "ws_nope" }],
          page_info: { end_cursor: "cur_1", has_next_page: false },
        });
      }),
    );
    const page = await makeClient().listWebhooks({ companyId: "biz_a1B2c3D4e5F6g7" });
    expect(query).toEqual({ company_id: "biz_a1B2c3D4e5F6g7" });
    expect(page.data).toEqual([
      { id: "hook_Ab12Cd34Ef56G", url: "https://app.example/api/webhooks/whop/t_1", events: ["payment.succeeded", "refund.created"], enabled: true },
      { id: "hook_Other000000", url: "https://elsewhere.example/h", events: ["invoice.paid"], enabled: false },
    ]);
    expect(JSON.stringify(page)).not.toContain("ws_");
    expect(page.pageInfo).toEqual({ endCursor: "cur_1", hasNextPage: false });
  });

  it("passes first and after through", async () => {
    let query: Record<string, string> | undefined;
    server.use(
      http.get(`${ORIGIN}/api/v1/webhooks`, ({ request }) => {
        query = Object.fromEntries(new URL(request.url).searchParams);
        return HttpResponse.json({ data: [] });
      }),
    );
    await makeClient().listWebhooks({ companyId: "biz_a1B2c3D4e5F6g7", first: 50, after: "cur_1" });
    expect(query).toEqual({ company_id: "biz_a1B2c3D4e5F6g7", first: "50", after: "cur_1" });
  });
});
