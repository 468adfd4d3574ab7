import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SEED } from "@/sandbox/server";
import { api, createCompany, startSandbox, undatedCheckoutBody, type IsolatedCompany, type Sandbox } from "./helpers";

let sandbox: Sandbox;
let company: IsolatedCompany;
const DATED = { "api-version-date": "2026-07-20" };

beforeAll(async () => {
  sandbox = await startSandbox();
  company = await createCompany(sandbox, "Api Co");
});
afterAll(() => sandbox.close());

const createCheckout = (body: unknown, headers: Record<string, string> = {}, key = company.companyKey) =>
  api(sandbox, "/api/v1/checkout_configurations", { key, body, headers });

describe("seeded demo company", () => {
  it("exposes deterministic keys and answers /me and v5 /company", async () => {
    expect(sandbox.seed).toEqual(DEMO_SEED);
    expect(sandbox.seed.companyId).toMatch(/^biz_[0-9A-Za-z]{14}$/);
    const me = await api(sandbox, "/api/v1/accounts/me", { key: sandbox.seed.companyKey });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ id: sandbox.seed.companyId, title: "Demo Company", route: "demo-company" });
    expect(me.json.created_at).toBe("2025-01-15T12:00:00.000Z");
    const v5 = await api(sandbox, "/api/v5/company", { key: sandbox.seed.companyKey });
    expect(v5.json).toEqual({
      id: sandbox.seed.companyId,
      title: "Demo Company",
      route: "demo-company",
      created_at: 1736942400,
      image_url: null,
      authorized_user: null,
    });
  });
});

describe("authentication and permissions", () => {
  it("answers 401 with a v1 error body for an unknown or absent key", async () => {
    for (const key of ["apik_wrong", null]) {
      const response = await api(sandbox, "/api/v1/accounts/me", { key });
      expect(response.status).toBe(401);
      expect(response.json.error.type).toBe("unauthorized");
      expect(typeof response.json.error.message).toBe("string");
    }
    const v5 = await api(sandbox, "/api/v5/company", { key: "apik_wrong" });
    expect(v5.status).toBe(401);
    expect(Object.keys(v5.json)).toEqual(["message"]);
  });

  it("answers 403 to a user key, saying it is a user key", async () => {
    const response = await api(sandbox, "/api/v1/accounts/me", { key: company.userKey });
    expect(response.status).toBe(403);
    expect(response.json.error.message).toMatch(/user (API )?key/i);
    expect((await api(sandbox, "/api/v5/company", { key: company.userKey })).status).toBe(403);
  });

  it("answers 400 'missing all required permissions' to the restricted key on /me and 403 elsewhere", async () => {
    const me = await api(sandbox, "/api/v1/accounts/me", { key: company.restrictedKey });
    expect(me.status).toBe(400);
    expect(me.json.error.message).toBe("Actor is missing all required permissions: `company:basic:read`");
    const checkout = await createCheckout(undatedCheckoutBody(company.companyId), {}, company.restrictedKey);
    expect(checkout.status).toBe(403);
    expect(checkout.json.error.message).toContain("checkout_configuration:create");
  });

  it("lets the no-webhook key do everything but manage webhooks", async () => {
    expect((await createCheckout(undatedCheckoutBody(company.companyId), {}, company.noWebhookKey)).status).toBe(200);
    const hook = await api(sandbox, "/api/v1/webhooks", {
      key: company.noWebhookKey,
      body: { url: "https://a.example/h", resource_id: company.companyId },
    });
    expect(hook.status).toBe(403);
    expect(hook.json.error.message).toContain("developer:manage_webhook");
  });

  it("keeps companies apart", async () => {
    const other = await createCompany(sandbox, "Other");
    expect((await createCheckout(undatedCheckoutBody(other.companyId))).status).toBe(403);
    const theirs = await createCheckout(undatedCheckoutBody(other.companyId), {}, other.companyKey);
    expect((await api(sandbox, `/api/v1/checkout_configurations/${theirs.json.id as string}`, { key: company.companyKey })).status).toBe(404);
    expect((await api(sandbox, `/api/v1/payments?company_id=${other.companyId}`, { key: company.companyKey })).status).toBe(403);
  });
});

describe("checkout configurations: the two request shapes", () => {
  it("undated: company_id in the plan, inline product find-or-create, company_id in the response", async () => {
    const first = await createCheckout(undatedCheckoutBody(company.companyId));
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      company_id: company.companyId,
      mode: "payment",
      metadata: { order_id: "ord_1", tenant_id: "ten_1" },
      redirect_url: "https://app.example/pay/premium/done?order=ord_1",
      plan: { plan_type: "one_time", visibility: "hidden", currency: "usd", initial_price: 29.99 },
    });
    expect(first.json).not.toHaveProperty("account_id");
    expect(first.json.id).toMatch(/^ch_[0-9A-Za-z]{15}$/);
    expect(first.json.plan.id).toMatch(/^plan_[0-9A-Za-z]{13}$/);
    const second = await createCheckout(undatedCheckoutBody(company.companyId));
    const [plan1, plan2] = await Promise.all(
      [first, second].map((r) => api(sandbox, `/api/v1/plans/${r.json.plan.id as string}`, { key: company.companyKey })),
    );
    expect(plan1!.json.product.id).toBe(plan2!.json.product.id);
    expect(plan1!.json.id).not.toBe(plan2!.json.id);

    const missing = await createCheckout(undatedCheckoutBody(company.companyId, { plan: { company_id: undefined } }));
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toBe("Missing required parameter: plan.company_id");
    const dated = await createCheckout(undatedCheckoutBody(company.companyId, { plan: { account_id: company.companyId } }));
    expect(dated.json.error.message).toBe("Invalid value for parameter 'plan.account_id'");
  });

  it("dated: account_id optional, no inline product object, account_id in the response, plan reuse unless forced", async () => {
    const body = { plan: { currency: "gbp", plan_type: "one_time", initial_price: 9.5, title: "Reused", visibility: "hidden" }, metadata: { a: 1 } };
    const first = await createCheckout(body, DATED);
    expect(first.status).toBe(200);
    expect(first.json.account_id).toBe(company.companyId);
    expect(first.json).not.toHaveProperty("company_id");
    const second = await createCheckout(body, DATED);
    expect(second.json.plan.id).toBe(first.json.plan.id);
    expect(second.json.id).not.toBe(first.json.id);
    const forced = await createCheckout({ ...body, plan: { ...body.plan, force_create_new_plan: true } }, DATED);
    expect(forced.json.plan.id).not.toBe(first.json.plan.id);

    const withProduct = await createCheckout(undatedCheckoutBody(company.companyId), DATED);
    expect(withProduct.status).toBe(400);
    expect(withProduct.json.error.message).toBe("Invalid value for parameter 'plan.company_id'");
    const productObject = await createCheckout({ plan: { ...body.plan, product: { external_identifier: "x", title: "x" } } }, DATED);
    expect(productObject.json.error.message).toBe("Invalid value for parameter 'plan.product'");
  });

  it("takes a plan_id instead of an inline plan", async () => {
    const plan = await api(sandbox, "/api/v1/plans", {
      key: company.companyKey,
      headers: DATED,
      body: { initial_price: 3, currency: "usd", plan_type: "one_time", title: "Two-call" },
    });
    expect(plan.status).toBe(200);
    expect(plan.json.purchase_url).toBe(`${sandbox.url}/checkout/${plan.json.id as string}/`);
    const checkout = await createCheckout({ plan_id: plan.json.id, metadata: { order_id: "o" } });
    expect(checkout.status).toBe(200);
    expect(checkout.json.plan.id).toBe(plan.json.id);
    expect((await createCheckout({ plan_id: "plan_missing000000" })).status).toBe(404);
    expect((await createCheckout({ metadata: {} })).json.error.message).toBe("Missing required parameter: plan");
  });

  it.each([
    [{ plan: { bogus: 1 } }, "Invalid value for parameter 'plan.bogus'"],
    [{ extra: true }, "Invalid value for parameter 'extra'"],
    [{ plan: { title: "x".repeat(31) } }, "Title is too long"],
    [{ plan: { description: "d".repeat(501) } }, "Description is too long"],
    [{ plan: { currency: "USD" } }, "Invalid value for parameter 'plan.currency'"],
    [{ plan: { currency: "xyz" } }, "Invalid value for parameter 'plan.currency'"],
    [{ plan: { initial_price: 0 } }, "Invalid value for parameter 'plan.initial_price'"],
    [{ plan: { initial_price: -5 } }, "Invalid value for parameter 'plan.initial_price'"],
    [{ plan: { initial_price: "NaN" } }, "Invalid value for parameter 'plan.initial_price'"],
    [{ plan: { initial_price: undefined } }, "Missing required parameter: plan.initial_price"],
    [{ plan: { currency: "jpy", initial_price: 1000.5 } }, "jpy amounts must be whole numbers"],
    [{ plan: { currency: "usd", initial_price: 1.234 } }, "Invalid value for parameter 'plan.initial_price'"],
    [{ plan: { product: undefined } }, "Missing required parameter: plan.product_id"],
    [{ plan: { product: { external_identifier: "a", title: "b", color: "red" } } }, "Invalid value for parameter 'plan.product.color'"],
    [{ metadata: ["not", "an", "object"] }, "Invalid value for parameter 'metadata'"],
    [{ redirect_url: "not a url" }, "Invalid value for parameter 'redirect_url'"],
  ])("rejects %j with 400 %s", async (overrides, message) => {
    const response = await createCheckout(undatedCheckoutBody(company.companyId, overrides as Record<string, unknown>));
    expect(response.status).toBe(400);
    expect(response.json.error.message).toContain(message);
  });

  it.each([
    ["jpy", 1000],
    ["krw", 15000],
    ["kwd", 1.234],
    ["bhd", 2.5],
    ["eur", 19.99],
    ["chf", 5],
    ["sek", 99.5],
  ])("accepts %s %d", async (currency, price) => {
    const response = await createCheckout(undatedCheckoutBody(company.companyId, { plan: { currency, initial_price: price } }));
    expect(response.status).toBe(200);
    expect(response.json.plan).toMatchObject({ currency, initial_price: price });
  });

  it("answers 400 to malformed JSON and 404 with a v1 body to unknown routes", async () => {
    const malformed = await createCheckout("{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.type).toBe("bad_request");
    const unknown = await api(sandbox, "/api/v1/nothing_here", { key: company.companyKey });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.type).toBe("not_found");
  });
});

describe("Idempotency-Key", () => {
  it("replays the original checkout for the same body and refuses a different body", async () => {
    const body = undatedCheckoutBody(company.companyId, { metadata: { order_id: "ord_idem" } });
    const first = await createCheckout(body, { "idempotency-key": "ord_idem" });
    const replay = await createCheckout(body, { "idempotency-key": "ord_idem" });
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual(first.json);
    const different = await createCheckout({ ...body, metadata: { order_id: "other" } }, { "idempotency-key": "ord_idem" });
    expect(different.status).toBe(400);
    expect(different.json.error.message).toMatch(/Idempotency-Key/);
    const listed = await api(sandbox, `/api/v1/checkout_configurations?company_id=${company.companyId}&first=100`, { key: company.companyKey });
    expect(listed.json.data.filter((c: { metadata: { order_id?: string } }) => c.metadata.order_id === "ord_idem")).toHaveLength(1);
  });

  it("scopes keys per credential", async () => {
    const other = await createCompany(sandbox, "Idem Other");
    const mine = await createCheckout(undatedCheckoutBody(company.companyId), { "idempotency-key": "shared" });
    const theirs = await createCheckout(undatedCheckoutBody(other.companyId), { "idempotency-key": "shared" }, other.companyKey);
    expect(theirs.status).toBe(200);
    expect(theirs.json.id).not.toBe(mine.json.id);
  });
});

describe("payments list filters and pagination", () => {
  it("filters by created_after, statuses[] and plan_id, and pages with first/after", async () => {
    const shop = await createCompany(sandbox, "Filter Co");
    const start = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    const declined: string[] = [];
    for (let i = 0; i < 3; i++) {
      const checkout = await createCheckout(undatedCheckoutBody(shop.companyId), {}, shop.companyKey);
      const pay = await api(sandbox, `/_sandbox/checkouts/${checkout.json.id as string}/pay`, { body: {} });
      ids.push(pay.json.id);
      const decline = await createCheckout(undatedCheckoutBody(shop.companyId), {}, shop.companyKey);
      declined.push((await api(sandbox, `/_sandbox/checkouts/${decline.json.id as string}/decline`, { body: {} })).json.id);
    }
    const list = (query: string) => api(sandbox, `/api/v1/payments?company_id=${shop.companyId}&${query}`, { key: shop.companyKey });
    expect((await list("statuses[]=paid")).json.data.map((p: { id: string }) => p.id)).toEqual([...ids].reverse());
    expect((await list("statuses=open")).json.data.map((p: { id: string }) => p.id)).toEqual([...declined].reverse());
    expect((await list(`created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json.data).toEqual([]);
    expect((await list(`created_after=${encodeURIComponent(start)}`)).json.data).toHaveLength(6);
    const one = await api(sandbox, `/api/v1/payments/${ids[0]!}`, { key: shop.companyKey });
    expect((await list(`plan_id=${one.json.plan.id as string}`)).json.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);

    const page1 = await list("first=4");
    expect(page1.json.data).toHaveLength(4);
    expect(page1.json.page_info.has_next_page).toBe(true);
    const page2 = await list(`first=4&after=${page1.json.page_info.end_cursor as string}`);
    expect(page2.json.data).toHaveLength(2);
    expect(page2.json.page_info.has_next_page).toBe(false);
    expect((await api(sandbox, "/api/v1/payments", { key: shop.companyKey })).json.error.message).toBe("Missing required parameter: company_id");
  });
});

describe("faults and rate limits", () => {
  it("a hang fault leaves the request unanswered until the client gives up", async () => {
    await api(sandbox, "/_sandbox/faults", { body: { mode: "hang", count: 1 } });
    const hung = fetch(`${sandbox.url}/api/v1/accounts/me`, {
      headers: { authorization: `Bearer ${company.companyKey}` },
      signal: AbortSignal.timeout(200),
    });
    await expect(hung).rejects.toThrow();
    expect((await api(sandbox, "/api/v1/accounts/me", { key: company.companyKey })).status).toBe(200);
  });

  it("a 500 fault fails exactly count requests", async () => {
    await api(sandbox, "/_sandbox/faults", { body: { mode: "500", count: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api(sandbox, "/api/v1/accounts/me", { key: company.companyKey })).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it("answers 429 with Whop's body after rateLimitPerMinute requests", async () => {
    const limited = await startSandbox({ rateLimitPerMinute: 2 });
    try {
      const me = () => api(limited, "/api/v1/accounts/me", { key: limited.seed.companyKey });
      expect([(await me()).status, (await me()).status]).toEqual([200, 200]);
      const over = await me();
      expect(over.status).toBe(429);
      expect(over.json.error.type).toBe("rate_limited");
      expect(over.json.error.message).toMatch(/^Try again in \d+ seconds\.$/);
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe("control endpoints", () => {
  it("reset forgets everything except the seeded demo companies (Live's and Test's)", async () => {
    const isolated = await startSandbox();
    try {
      const extra = await createCompany(isolated, "Gone soon");
      expect((await api(isolated, "/_sandbox/state")).json.companies).toHaveLength(3);
      await api(isolated, "/_sandbox/reset", { body: {} });
      const state = (await api(isolated, "/_sandbox/state")).json;
      expect(state.companies.map((c: { id: string }) => c.id)).toEqual([DEMO_SEED.companyId, DEMO_SEED.testCompanyId]);
      expect((await api(isolated, "/api/v1/accounts/me", { key: DEMO_SEED.testCompanyKey })).json).toMatchObject({ id: DEMO_SEED.testCompanyId });
      expect((await api(isolated, "/api/v1/accounts/me", { key: extra.companyKey })).status).toBe(401);
      expect((await api(isolated, "/api/v1/accounts/me", { key: DEMO_SEED.companyKey })).status).toBe(200);
    } finally {
      await isolated.close();
    }
  });
});
