import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { tenants } from "@/db/schema";
import { env } from "@/lib/env";
import { whopClientForTenant } from "@/lib/tenants/whop";
import { whopApiOriginFor } from "@/lib/whop/client";
import { describeWhopProblem } from "@/lib/whop/messages";
import { connectedMerchant } from "../fixtures";
import { withTestDatabase } from "../db";
import { makeClient, ORIGIN, whopErrorOf } from "./helpers";

withTestDatabase();

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const rejected = () => HttpResponse.json({ error: { type: "unauthorized", message: "Invalid API key" } }, { status: 401 });
const SANDBOX_REJECTED =
  "Whop's sandbox rejected your API key while reading payments; it may have been revoked, or it is a production key (Test mode talks to Whop's sandbox, sandbox-api.whop.com). Replace it under Integrations → Whop.";
const PRODUCTION_REJECTED = "Whop rejected your API key while reading payments; it may have been revoked. Replace it under Integrations → Whop.";
const SANDBOX_ORIGIN = env().whopSandboxApiOrigin;

describe("the origin a tenant's calls go to", () => {
  it("Live goes to WHOP_API_ORIGIN, Test to WHOP_SANDBOX_API_ORIGIN", () => {
    const origins = { whopApiOrigin: "https://api.whop.com", whopSandboxApiOrigin: "https://sandbox-api.whop.com" };
    expect(whopApiOriginFor("live", origins)).toBe("https://api.whop.com");
    expect(whopApiOriginFor("test", origins)).toBe("https://sandbox-api.whop.com");
    // The demo points both at one local sandbox.
    expect(whopApiOriginFor("test", { whopApiOrigin: "http://127.0.0.1:4010", whopSandboxApiOrigin: "http://127.0.0.1:4010" })).toBe("http://127.0.0.1:4010");
  });

  it("whopClientForTenant sends a Live tenant to the configured origin and a Test tenant to the sandbox origin", async () => {
    expect(SANDBOX_ORIGIN).not.toBe(ORIGIN);
    const { tenant } = await connectedMerchant();
    expect(tenant.environment).toBe("live");
    const hits: string[] = [];
    const answer = ({ request }: { request: Request }) => {
      hits.push(new URL(request.url).origin);
      return HttpResponse.json({ id: "pay_Ab12Cd34Ef56Gh" });
    };
    server.use(http.get(`${ORIGIN}/api/v1/payments/:id`, answer), http.get(`${SANDBOX_ORIGIN}/api/v1/payments/:id`, answer));

    await whopClientForTenant(tenant).getPayment("pay_Ab12Cd34Ef56Gh");
    const [testTenant] = await db().update(tenants).set({ environment: "test" }).where(eq(tenants.id, tenant.id)).returning();
    await whopClientForTenant(testTenant!).getPayment("pay_Ab12Cd34Ef56Gh");

    expect(hits).toEqual([ORIGIN, SANDBOX_ORIGIN]);
  });

  it("a tenant's errors carry its environment, so the message needs no environment from the caller", async () => {
    const { tenant } = await connectedMerchant();
    const [testTenant] = await db().update(tenants).set({ environment: "test" }).where(eq(tenants.id, tenant.id)).returning();
    server.use(http.get(`${SANDBOX_ORIGIN}/api/v1/payments/:id`, rejected), http.get(`${ORIGIN}/api/v1/payments/:id`, rejected));

    const sandboxErr = await whopErrorOf(() => whopClientForTenant(testTenant!).getPayment("pay_1"));
    expect(sandboxErr.environment).toBe("test");
    expect(describeWhopProblem(sandboxErr, { operation: "payments" })).toBe(SANDBOX_REJECTED);

    const productionErr = await whopErrorOf(() => whopClientForTenant(tenant).getPayment("pay_1"));
    expect(productionErr.environment).toBe("live");
    expect(describeWhopProblem(productionErr, { operation: "payments" })).toBe(PRODUCTION_REJECTED);
  });
});

describe("describeWhopProblem: where the environment comes from", () => {
  it("every kind of client error carries the client's environment", async () => {
    server.use(
      http.get(`${ORIGIN}/api/v1/payments/unauthorized`, rejected),
      http.get(`${ORIGIN}/api/v1/payments/broken`, () => HttpResponse.json({ nope: true })),
      http.get(`${ORIGIN}/api/v1/payments/down`, () => new HttpResponse(null, { status: 503 })),
      http.get(`${ORIGIN}/api/v1/payments/gone`, () => HttpResponse.error()),
    );
    const client = makeClient({ environment: "test", maxRetries: 0 });
    for (const [id, kind] of [["unauthorized", "unauthorized"], ["broken", "bad_request"], ["down", "server_error"], ["gone", "unreachable"]]) {
      expect(await whopErrorOf(() => client.getPayment(id!))).toMatchObject({ kind, environment: "test" });
    }
    expect((await whopErrorOf(() => makeClient().getPayment("unauthorized"))).environment).toBeUndefined();
  });

  it("the tenant argument names the world when the error does not, and wins over the error's", async () => {
    server.use(http.get(`${ORIGIN}/api/v1/payments/:id`, rejected));
    const err = await whopErrorOf(() => makeClient().getPayment("pay_1"));
    expect(describeWhopProblem(err, { operation: "payments", tenant: { environment: "test" } })).toBe(SANDBOX_REJECTED);
    expect(describeWhopProblem(err, { operation: "payments", tenant: { environment: "live" } })).toBe(PRODUCTION_REJECTED);
    const sandboxErr = await whopErrorOf(() => makeClient({ environment: "test" }).getPayment("pay_1"));
    expect(describeWhopProblem(sandboxErr, { operation: "payments", tenant: { environment: "live" } })).toBe(PRODUCTION_REJECTED);
  });
});
