import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { tenants } from "@/db/schema";
import { env } from "@/lib/env";
import { whopClientForTenant } from "@/lib/tenants/whop";
import { WHOP_SANDBOX_API_ORIGIN, whopApiOriginFor } from "@/lib/whop/client";
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
  "Whop's sandbox rejected your API key while reading payments; it may have been revoked, or it is a production key (this account is connected to Whop's sandbox, sandbox-api.whop.com). Replace it under Integrations → Whop.";
const PRODUCTION_REJECTED = "Whop rejected your API key while reading payments; it may have been revoked. Replace it under Integrations → Whop.";

describe("the origin a tenant's calls go to", () => {
  const production = { origin: "https://api.whop.com", environment: "production" } as const;
  const localSandbox = { origin: "http://127.0.0.1:4010", environment: "sandbox" } as const;

  it.each([
    ["production", production, "https://api.whop.com"],
    ["sandbox", production, WHOP_SANDBOX_API_ORIGIN],
    [null, production, "https://api.whop.com"],
    ["sandbox", localSandbox, "http://127.0.0.1:4010"],
    ["production", localSandbox, "http://127.0.0.1:4010"],
  ] as const)("a %s tenant with %j configured → %s", (environment, configured, origin) => {
    expect(whopApiOriginFor(environment, configured)).toBe(origin);
  });

  it("whopClientForTenant sends a production tenant to the configured origin and a sandbox tenant to Whop's sandbox", async () => {
    expect(env().whopEnvironment).toBe("production");
    const { tenant } = await connectedMerchant();
    const hits: string[] = [];
    const answer = ({ request }: { request: Request }) => {
      hits.push(new URL(request.url).origin);
      return HttpResponse.json({ id: "pay_Ab12Cd34Ef56Gh" });
    };
    server.use(http.get(`${ORIGIN}/api/v1/payments/:id`, answer), http.get(`${WHOP_SANDBOX_API_ORIGIN}/api/v1/payments/:id`, answer));

    await whopClientForTenant(tenant).getPayment("pay_Ab12Cd34Ef56Gh");
    const [sandboxTenant] = await db().update(tenants).set({ environment: "sandbox" }).where(eq(tenants.id, tenant.id)).returning();
    await whopClientForTenant(sandboxTenant!).getPayment("pay_Ab12Cd34Ef56Gh");

    expect(hits).toEqual([ORIGIN, WHOP_SANDBOX_API_ORIGIN]);
  });

  it("a tenant's errors carry its environment, so the message needs no environment from the caller", async () => {
    const { tenant } = await connectedMerchant();
    const [sandboxTenant] = await db().update(tenants).set({ environment: "sandbox" }).where(eq(tenants.id, tenant.id)).returning();
    server.use(http.get(`${WHOP_SANDBOX_API_ORIGIN}/api/v1/payments/:id`, rejected), http.get(`${ORIGIN}/api/v1/payments/:id`, rejected));

    const sandboxErr = await whopErrorOf(() => whopClientForTenant(sandboxTenant!).getPayment("pay_1"));
    expect(sandboxErr.environment).toBe("sandbox");
    expect(describeWhopProblem(sandboxErr, { operation: "payments" })).toBe(SANDBOX_REJECTED);

    const productionErr = await whopErrorOf(() => whopClientForTenant(tenant).getPayment("pay_1"));
    expect(productionErr.environment).toBe("production");
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
    const client = makeClient({ environment: "sandbox", maxRetries: 0 });
    for (const [id, kind] of [["unauthorized", "unauthorized"], ["broken", "bad_request"], ["down", "server_error"], ["gone", "unreachable"]]) {
      expect(await whopErrorOf(() => client.getPayment(id!))).toMatchObject({ kind, environment: "sandbox" });
    }
    expect((await whopErrorOf(() => makeClient().getPayment("unauthorized"))).environment).toBeUndefined();
  });

  it("the tenant argument names the world when the error does not", async () => {
    server.use(http.get(`${ORIGIN}/api/v1/payments/:id`, rejected));
    const err = await whopErrorOf(() => makeClient().getPayment("pay_1"));
    expect(describeWhopProblem(err, { operation: "payments", tenant: { environment: "sandbox" } })).toBe(SANDBOX_REJECTED);
    expect(describeWhopProblem(err, { operation: "payments", tenant: { environment: "production" } })).toBe(PRODUCTION_REJECTED);
  });

  it("the old environment option is still accepted, and the tenant's or the error's environment wins over it", async () => {
    server.use(http.get(`${ORIGIN}/api/v1/payments/:id`, rejected));
    const bare = await whopErrorOf(() => makeClient().getPayment("pay_1"));
    expect(describeWhopProblem(bare, { environment: "sandbox", operation: "payments" })).toBe(SANDBOX_REJECTED);
    expect(describeWhopProblem(bare, { environment: "sandbox", operation: "payments", tenant: { environment: "production" } })).toBe(PRODUCTION_REJECTED);

    const sandboxErr = await whopErrorOf(() => makeClient({ environment: "sandbox" }).getPayment("pay_1"));
    expect(describeWhopProblem(sandboxErr, { environment: "production", operation: "payments" })).toBe(SANDBOX_REJECTED);
  });
});
