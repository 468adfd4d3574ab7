import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WHOP_API_VERSION_DATE } from "@/lib/whop/client";
import { API_KEY, makeClient, ORIGIN, whopErrorOf } from "./helpers";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Headers;
  body: string;
}

/** Answers GET `path` with `answer` and records every request it saw. */
function captureGet(path: string, answer: () => Response) {
  const seen: Seen[] = [];
  server.use(
    http.get(`${ORIGIN}${path}`, async ({ request }) => {
      const url = new URL(request.url);
      seen.push({ method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers, body: await request.text() });
      return answer();
    }),
  );
  return seen;
}

function expectReadHeaders(seen: Seen) {
  expect(seen.method).toBe("GET");
  expect(seen.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
  expect(seen.headers.get("api-version-date")).toBe(WHOP_API_VERSION_DATE);
  expect(seen.headers.get("accept")).toBe("application/json");
  expect(seen.headers.get("idempotency-key")).toBeNull();
  expect(seen.headers.get("content-type")).toBeNull();
  expect(seen.body).toBe("");
}

const refund = {
  id: "rfnd_Ab12Cd34Ef56G",
  amount: 12.5,
  currency: "usd",
  status: "pending",
  created_at: "2026-08-02T09:00:00.000Z",
  provider: "stripe",
  provider_created_at: null,
  reference_status: null,
  reference_type: null,
  reference_value: null,
  payment: { id: "pay_Ab12Cd34Ef56Gh" },
};

describe("listRefunds", () => {
  it("GETs /api/v1/refunds with payment_id, company_id, first and after, and reads the page", async () => {
    const seen = captureGet("/api/v1/refunds", () =>
      HttpResponse.json({ data: [refund], page_info: { end_cursor: "cur_2", has_next_page: true, start_cursor: "cur_1" } }),
    );

    const page = await makeClient().listRefunds({ paymentId: "pay_Ab12Cd34Ef56Gh", companyId: "biz_a1B2c3D4e5F6g7", first: 25, after: "cur_1" });

    expect(seen).toHaveLength(1);
    expectReadHeaders(seen[0]!);
    expect(seen[0]!.path).toBe("/api/v1/refunds");
    expect(seen[0]!.query).toEqual({ payment_id: "pay_Ab12Cd34Ef56Gh", company_id: "biz_a1B2c3D4e5F6g7", first: "25", after: "cur_1" });
    expect(page.pageInfo).toEqual({ endCursor: "cur_2", hasNextPage: true });
    expect(page.data).toEqual([
      {
        id: "rfnd_Ab12Cd34Ef56G",
        status: "pending",
        amount: 12.5,
        currency: "usd",
        createdAt: new Date("2026-08-02T09:00:00.000Z"),
        paymentId: "pay_Ab12Cd34Ef56Gh",
        raw: refund,
      },
    ]);
  });

  it("sends only the filters it was given", async () => {
    const seen = captureGet("/api/v1/refunds", () => HttpResponse.json({ data: [] }));
    const page = await makeClient().listRefunds({ paymentId: "pay_Ab12Cd34Ef56Gh" });
    expect(seen[0]!.query).toEqual({ payment_id: "pay_Ab12Cd34Ef56Gh" });
    expect(page).toEqual({ data: [], pageInfo: { endCursor: null, hasNextPage: false } });
  });

  it("reads refunds loosely: string amounts, upper-case currency, a payment id as a string, missing fields, unknown ones", async () => {
    captureGet("/api/v1/refunds", () =>
      HttpResponse.json({
        data: [
          { id: "rfnd_1", amount: "7.25", currency: "EUR", status: "succeeded", created_at: 1_785_000_000, payment_id: "pay_2", brand_new: { x: 1 } },
          { id: "rfnd_2", payment: null },
        ],
        page_info: null,
      }),
    );
    const page = await makeClient().listRefunds({ companyId: "biz_a1B2c3D4e5F6g7" });
    expect(page.data[0]).toMatchObject({ id: "rfnd_1", amount: 7.25, currency: "eur", status: "succeeded", createdAt: new Date(1_785_000_000_000), paymentId: "pay_2" });
    expect(page.data[1]).toMatchObject({ id: "rfnd_2", amount: null, currency: null, status: null, createdAt: null, paymentId: null });
    expect(page.pageInfo).toEqual({ endCursor: null, hasNextPage: false });
  });

  it("a refund without an id is an unexpected answer naming the item, not a crash", async () => {
    captureGet("/api/v1/refunds", () => HttpResponse.json({ data: [refund, { amount: 1 }] }));
    const err = await whopErrorOf(() => makeClient().listRefunds({ paymentId: "pay_Ab12Cd34Ef56Gh" }));
    expect(err.kind).toBe("bad_request");
    expect(err.message).toContain("data.1");
  });

  it("a GET is retried after a 500", async () => {
    let calls = 0;
    server.use(
      http.get(`${ORIGIN}/api/v1/refunds`, () =>
        ++calls === 1 ? HttpResponse.json({ error: { message: "boom" } }, { status: 500 }) : HttpResponse.json({ data: [refund] }),
      ),
    );
    const page = await makeClient().listRefunds({ paymentId: "pay_Ab12Cd34Ef56Gh" });
    expect(calls).toBe(2);
    expect(page.data).toHaveLength(1);
  });
});

describe("getRefund", () => {
  it("GETs /api/v1/refunds/{id} and reads the embedded payment's id", async () => {
    const full = { ...refund, status: "succeeded", payment: { id: "pay_Ab12Cd34Ef56Gh", total: 29.99, subtotal: 29.99, currency: "usd", metadata: {} } };
    const seen = captureGet("/api/v1/refunds/rfnd_Ab12Cd34Ef56G", () => HttpResponse.json(full));

    const result = await makeClient().getRefund("rfnd_Ab12Cd34Ef56G");

    expect(seen).toHaveLength(1);
    expectReadHeaders(seen[0]!);
    expect(seen[0]!.query).toEqual({});
    expect(result).toEqual({
      id: "rfnd_Ab12Cd34Ef56G",
      status: "succeeded",
      amount: 12.5,
      currency: "usd",
      createdAt: new Date("2026-08-02T09:00:00.000Z"),
      paymentId: "pay_Ab12Cd34Ef56Gh",
      raw: full,
    });
  });

  it("escapes the id into the path, and a 404 is not_found", async () => {
    const seen = captureGet("/api/v1/refunds/:id", () => HttpResponse.json({ error: { type: "not_found", message: "Refund not found" } }, { status: 404 }));
    const err = await whopErrorOf(() => makeClient().getRefund("rfnd_x/../y"));
    expect(err.kind).toBe("not_found");
    expect(seen[0]!.path).toBe("/api/v1/refunds/rfnd_x%2F..%2Fy");
  });
});

const dispute = {
  id: "dspt_Ab12Cd34Ef56G",
  status: "needs_response",
  amount: 29.99,
  currency: "usd",
  reason: "fraudulent",
  needs_response_by: "2026-08-20T00:00:00.000Z",
  editable: true,
  visa_rdr: false,
  created_at: "2026-08-05T00:00:00.000Z",
  company: { id: "biz_a1B2c3D4e5F6g7", title: "Acme" },
  plan: { id: "plan_Pq12Rs34Tu56V" },
  product: null,
  payment: { id: "pay_Ab12Cd34Ef56Gh" },
};

describe("listDisputes", () => {
  it("GETs /api/v1/disputes with company_id, first and after (the only filters Whop declares)", async () => {
    const seen = captureGet("/api/v1/disputes", () => HttpResponse.json({ data: [dispute], page_info: { end_cursor: "cur_9", has_next_page: false } }));

    const page = await makeClient().listDisputes({ companyId: "biz_a1B2c3D4e5F6g7", first: 10, after: "cur_8" });

    expect(seen).toHaveLength(1);
    expectReadHeaders(seen[0]!);
    expect(seen[0]!.query).toEqual({ company_id: "biz_a1B2c3D4e5F6g7", first: "10", after: "cur_8" });
    expect(page.pageInfo).toEqual({ endCursor: "cur_9", hasNextPage: false });
    expect(page.data).toEqual([
      { id: "dspt_Ab12Cd34Ef56G", status: "needs_response", amount: 29.99, currency: "usd", reason: "fraudulent", paymentId: "pay_Ab12Cd34Ef56Gh", raw: dispute },
    ]);
  });

  it("with paymentId keeps only that payment's disputes, without sending a filter Whop does not declare", async () => {
    const other = { ...dispute, id: "dspt_Other0000000", payment: { id: "pay_Other000000000" } };
    const seen = captureGet("/api/v1/disputes", () => HttpResponse.json({ data: [other, dispute], page_info: { end_cursor: "cur_2", has_next_page: true } }));

    const page = await makeClient().listDisputes({ companyId: "biz_a1B2c3D4e5F6g7", paymentId: "pay_Ab12Cd34Ef56Gh" });

    expect(seen[0]!.query).toEqual({ company_id: "biz_a1B2c3D4e5F6g7" });
    expect(page.data.map((d) => d.id)).toEqual(["dspt_Ab12Cd34Ef56G"]);
    // The cursor is Whop's: the caller keeps paging past a page that held none of its payment's.
    expect(page.pageInfo).toEqual({ endCursor: "cur_2", hasNextPage: true });
  });

  it("reads disputes loosely: string amount, no reason, a payment id given flat", async () => {
    captureGet("/api/v1/disputes", () => HttpResponse.json({ data: [{ id: "dspt_2", amount: "5", currency: "USD", status: "won", payment_id: "pay_3" }] }));
    const page = await makeClient().listDisputes({ companyId: "biz_a1B2c3D4e5F6g7" });
    expect(page.data[0]).toMatchObject({ id: "dspt_2", amount: 5, currency: "usd", status: "won", reason: null, paymentId: "pay_3" });
  });
});

describe("getMembership", () => {
  const membership = {
    id: "mem_Ab12Cd34Ef56Gh",
    status: "active",
    cancel_at_period_end: true,
    canceled_at: null,
    checkout_configuration_id: "ch_Xy12Ab34Cd56Ef7",
    license_key: "LK-1234-ABCD",
    metadata: { order_id: "ord_01HZX4" },
    renewal_period_start: "2026-08-01T00:00:00.000Z",
    renewal_period_end: "2026-08-31T00:00:00.000Z",
    plan: { id: "plan_Pq12Rs34Tu56V", metadata: null },
    product: { id: "prod_Ab12Cd34Ef5", title: "Premium", metadata: null },
    user: { id: "user_Ab12Cd34Ef56G", username: "sam", name: null, email: "sam@example.com" },
    company: { id: "biz_a1B2c3D4e5F6g7", title: "Acme" },
    manage_url: "https://whop.com/orders",
  };

  it("GETs /api/v1/memberships/{id} and reads status, period end, checkout, license key, user and metadata", async () => {
    const seen = captureGet("/api/v1/memberships/mem_Ab12Cd34Ef56Gh", () => HttpResponse.json(membership));

    const result = await makeClient().getMembership("mem_Ab12Cd34Ef56Gh");

    expect(seen).toHaveLength(1);
    expectReadHeaders(seen[0]!);
    expect(result).toEqual({
      id: "mem_Ab12Cd34Ef56Gh",
      status: "active",
      cancelAtPeriodEnd: true,
      renewalPeriodEnd: new Date("2026-08-31T00:00:00.000Z"),
      checkoutConfigurationId: "ch_Xy12Ab34Cd56Ef7",
      licenseKey: "LK-1234-ABCD",
      userId: "user_Ab12Cd34Ef56G",
      userEmail: "sam@example.com",
      metadata: { order_id: "ord_01HZX4" },
      raw: membership,
    });
  });

  it("reads a sparse membership: no license key (a product without licensing), no user email, no period end", async () => {
    captureGet("/api/v1/memberships/mem_2", () =>
      HttpResponse.json({ id: "mem_2", status: "completed", license_key: null, user: { id: "user_2", email: null }, renewal_period_end: null, metadata: null }),
    );
    const result = await makeClient().getMembership("mem_2");
    expect(result).toMatchObject({
      id: "mem_2",
      status: "completed",
      cancelAtPeriodEnd: false,
      renewalPeriodEnd: null,
      checkoutConfigurationId: null,
      licenseKey: null,
      userId: "user_2",
      userEmail: null,
      metadata: {},
    });
  });

  it("a membership without an id is an unexpected answer", async () => {
    captureGet("/api/v1/memberships/mem_3", () => HttpResponse.json({ status: "active" }));
    const err = await whopErrorOf(() => makeClient().getMembership("mem_3"));
    expect(err).toMatchObject({ kind: "bad_request", whopMessage: "Unexpected response format" });
    expect(err.message).toContain("fields: id");
  });
});

describe("payments carry billing_reason and subtotal", () => {
  it("getPayment reads billing_reason and subtotal (decimal major units)", async () => {
    captureGet("/api/v1/payments/pay_Ab12Cd34Ef56Gh", () =>
      HttpResponse.json({ id: "pay_Ab12Cd34Ef56Gh", status: "paid", total: 31.5, subtotal: 29.99, billing_reason: "subscription_cycle" }),
    );
    const payment = await makeClient().getPayment("pay_Ab12Cd34Ef56Gh");
    expect(payment).toMatchObject({ total: 31.5, subtotal: 29.99, billingReason: "subscription_cycle" });
  });

  it("they are null when Whop leaves them out", async () => {
    captureGet("/api/v1/payments/pay_2", () => HttpResponse.json({ id: "pay_2", subtotal: "10.5" }));
    const payment = await makeClient().getPayment("pay_2");
    expect(payment).toMatchObject({ subtotal: 10.5, billingReason: null });
  });
});
