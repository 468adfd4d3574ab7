import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setupServer } from "msw/node";
import { http, HttpResponse } from "msw";
import { describeWhopProblem } from "@/lib/whop/messages";
import { API_KEY, makeClient, ORIGIN, whopErrorOf } from "./helpers";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const CHECKOUTS = `${ORIGIN}/api/v1/checkout_configurations`;
const WEBHOOKS = `${ORIGIN}/api/v1/webhooks`;

const checkoutInput = {
  idempotencyKey: "ord_01HZX4",
  accountId: "biz_a1B2c3D4e5F6g7",
  plan: { currency: "usd", initialPrice: 29.99, title: "Premium template", description: "The good one" },
  metadata: { order_id: "ord_01HZX4", tenant_id: "ten_42" },
  redirectUrl: "https://app.example/pay/premium/done?order=ord_01HZX4",
};

function checkoutResponse(purchaseUrl: string) {
  return {
    id: "ch_Xy12Ab34Cd56Ef7",
    account_id: "biz_a1B2c3D4e5F6g7",
    mode: "payment",
    metadata: { order_id: "ord_01HZX4", tenant_id: "ten_42" },
    redirect_url: checkoutInput.redirectUrl,
    purchase_url: purchaseUrl,
    plan: { id: "plan_Pq12Rs34Tu56V", plan_type: "one_time", visibility: "hidden", currency: "usd", initial_price: 29.99 },
  };
}

describe("createCheckoutConfiguration", () => {
  it("sends the dated inline-plan body with Idempotency-Key, Api-Version-Date and the key", async () => {
    let body: unknown;
    let headers: Headers | undefined;
    server.use(
      http.post(CHECKOUTS, async ({ request }) => {
        headers = request.headers;
        body = await request.json();
        return HttpResponse.json(
          checkoutResponse("https://whop.com/checkout/plan_Pq12Rs34Tu56V/?session=ch_Xy12Ab34Cd56Ef7"),
        );
      }),
    );

    const checkout = await makeClient().createCheckoutConfiguration(checkoutInput);

    expect(body).toEqual({
      account_id: "biz_a1B2c3D4e5F6g7",
      plan: {
        account_id: "biz_a1B2c3D4e5F6g7",
        currency: "usd",
        plan_type: "one_time",
        initial_price: 29.99,
        title: "Premium template",
        description: "The good one",
        visibility: "hidden",
        force_create_new_plan: true,
      },
      metadata: { order_id: "ord_01HZX4", tenant_id: "ten_42" },
      redirect_url: "https://app.example/pay/premium/done?order=ord_01HZX4",
    });
    expect(headers?.get("idempotency-key")).toBe("ord_01HZX4");
    expect(headers?.get("api-version-date")).toBe("2026-07-20");
    expect(headers?.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(headers?.get("content-type")).toBe("application/json");
    expect(headers?.get("accept")).toBe("application/json");
    expect(checkout).toMatchObject({
      id: "ch_Xy12Ab34Cd56Ef7",
      planId: "plan_Pq12Rs34Tu56V",
      purchaseUrl: "https://whop.com/checkout/plan_Pq12Rs34Tu56V/?session=ch_Xy12Ab34Cd56Ef7",
    });
    expect(checkout.raw).toMatchObject({ id: "ch_Xy12Ab34Cd56Ef7" });
  });

  it("omits optional fields it was not given, and passes product_id and visibility through", async () => {
    let body: unknown;
    server.use(
      http.post(CHECKOUTS, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(checkoutResponse("https://whop.com/checkout/x"));
      }),
    );

    await makeClient().createCheckoutConfiguration({
      idempotencyKey: "ord_2",
      plan: { currency: "JPY", initialPrice: 1500, title: "Ticket", productId: "prod_Ab12Cd34Ef56G", visibility: "visible" },
      metadata: { order_id: "ord_2" },
      redirectUrl: "https://app.example/done",
    });

    expect(body).toEqual({
      plan: {
        currency: "jpy",
        plan_type: "one_time",
        initial_price: 1500,
        title: "Ticket",
        visibility: "visible",
        product_id: "prod_Ab12Cd34Ef56G",
        force_create_new_plan: true,
      },
      metadata: { order_id: "ord_2" },
      redirect_url: "https://app.example/done",
    });
  });

  it("makes a relative purchase_url absolute on https://whop.com", async () => {
    server.use(
      http.post(CHECKOUTS, () => HttpResponse.json(checkoutResponse("/checkout/plan_Pq12Rs34Tu56V/?session=ch_Xy12Ab34Cd56Ef7"))),
    );

    const checkout = await makeClient().createCheckoutConfiguration(checkoutInput);

    expect(checkout.purchaseUrl).toBe("https://whop.com/checkout/plan_Pq12Rs34Tu56V/?session=ch_Xy12Ab34Cd56Ef7");
  });

  it("accepts plan_id at the top level when the plan object is absent", async () => {
    const { plan: _plan, ...rest } = checkoutResponse("https://whop.com/c");
    server.use(http.post(CHECKOUTS, () => HttpResponse.json({ ...rest, plan_id: "plan_Zz12Yy34Xx56W" })));

    const checkout = await makeClient().createCheckoutConfiguration(checkoutInput);

    expect(checkout.planId).toBe("plan_Zz12Yy34Xx56W");
  });

  it("retries a 503 with the same Idempotency-Key (safe to repeat)", async () => {
    const keys: (string | null)[] = [];
    server.use(
      http.post(CHECKOUTS, ({ request }) => {
        keys.push(request.headers.get("idempotency-key"));
        return keys.length === 1
          ? HttpResponse.json({ error: { type: "server_error", message: "Upstream" } }, { status: 503 })
          : HttpResponse.json(checkoutResponse("https://whop.com/c"));
      }),
    );

    const checkout = await makeClient().createCheckoutConfiguration(checkoutInput);

    expect(checkout.id).toBe("ch_Xy12Ab34Cd56Ef7");
    expect(keys).toEqual(["ord_01HZX4", "ord_01HZX4"]);
  });

  it("never retries a 400 and surfaces Whop's message", async () => {
    let calls = 0;
    server.use(
      http.post(CHECKOUTS, () => {
        calls++;
        return HttpResponse.json(
          { error: { type: "invalid_request_error", message: "Title is too long" } },
          { status: 400 },
        );
      }),
    );

    const err = await whopErrorOf(() => makeClient().createCheckoutConfiguration(checkoutInput));

    expect(err.kind).toBe("bad_request");
    expect(err.whopMessage).toBe("Title is too long");
    expect(calls).toBe(1);
    expect(describeWhopProblem(err, { tenant: { environment: "live" }, operation: "checkout" })).toBe(
      "Whop refused creating a checkout for a buyer (400): “Title is too long”.",
    );
  });

  it("a missing plan:create permission is reported by name for the problems list", async () => {
    server.use(
      http.post(CHECKOUTS, () =>
        HttpResponse.json(
          { error: { type: "invalid_request_error", message: "Actor is missing all required permissions: `plan:create`" } },
          { status: 400 },
        ),
      ),
    );

    const err = await whopErrorOf(() => makeClient().createCheckoutConfiguration(checkoutInput));

    expect(err.kind).toBe("missing_permissions");
    expect(err.missingPermissions).toEqual(["plan:create"]);
    expect(describeWhopProblem(err, { tenant: { environment: "live" }, operation: "checkout" })).toContain(
      "(missing: plan:create)",
    );
  });
});

describe("createWebhook", () => {
  it("posts url, events, resource_id and api_version, and returns the one-time secret", async () => {
    let body: unknown;
    let headers: Headers | undefined;
    server.use(
      http.post(WEBHOOKS, async ({ request }) => {
        body = await request.json();
        headers = request.headers;
        return HttpResponse.json({
          id: "hook_Ab12Cd34Ef56G",
          url: "https://app.example/api/webhooks/whop/t_1",
          enabled: true,
          webhook_secret: "ws_secretvalue123",
        });
      }),
    );

    const webhook = await makeClient().createWebhook({
      url: "https://app.example/api/webhooks/whop/t_1",
      resourceId: "biz_a1B2c3D4e5F6g7",
      events: ["payment.succeeded", "membership.activated"],
    });

    expect(webhook).toEqual({ id: "hook_Ab12Cd34Ef56G", secret: "ws_secretvalue123" });
    expect(body).toEqual({
      url: "https://app.example/api/webhooks/whop/t_1",
      api_version: "v1",
      enabled: true,
      events: ["payment.succeeded", "membership.activated"],
      resource_id: "biz_a1B2c3D4e5F6g7",
    });
    expect(headers?.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(headers?.get("idempotency-key")).toBeNull();
  });

  it("does not retry a failed POST without an Idempotency-Key (it could create a second webhook)", async () => {
    let calls = 0;
    server.use(
      http.post(WEBHOOKS, () => {
        calls++;
        return new HttpResponse(null, { status: 502 });
      }),
    );

    const err = await whopErrorOf(() =>
      makeClient().createWebhook({ url: "https://app.example/h", resourceId: "biz_a1B2c3D4e5F6g7", events: ["payment.succeeded"] }),
    );

    expect(err.kind).toBe("server_error");
    expect(err.status).toBe(502);
    expect(calls).toBe(1);
  });

  it("a 403 for the webhook names developer:manage_webhook in the problem text", async () => {
    server.use(
      http.post(WEBHOOKS, () =>
        HttpResponse.json(
          { error: { type: "forbidden", message: "Missing permission `developer:manage_webhook`" } },
          { status: 403 },
        ),
      ),
    );

    const err = await whopErrorOf(() =>
      makeClient().createWebhook({ url: "https://app.example/h", resourceId: "biz_a1B2c3D4e5F6g7", events: ["payment.succeeded"] }),
    );

    expect(err.kind).toBe("forbidden");
    expect(err.missingPermissions).toEqual(["developer:manage_webhook"]);
    expect(describeWhopProblem(err, { tenant: { environment: "live" }, operation: "webhook" })).toContain(
      "needed for creating the webhook (missing: developer:manage_webhook)",
    );
  });
});

describe("payments", () => {
  const payment = {
    id: "pay_Ab12Cd34Ef56Gh",
    status: "paid",
    substatus: "succeeded",
    total: 29.99,
    currency: "usd",
    metadata: { order_id: "ord_01HZX4" },
    checkout_configuration_id: "ch_Xy12Ab34Cd56Ef7",
    plan: { id: "plan_Pq12Rs34Tu56V" },
    membership: { id: "mem_Ab12Cd34Ef56Gh", status: "active" },
    user: { id: "user_Ab12Cd34Ef56G", username: "sam", name: null, email: "sam@example.com" },
    created_at: "2026-08-01T10:00:00.000Z",
    paid_at: "2026-08-01T10:00:05.000Z",
    brand_new_field: [1, 2, 3],
  };

  it("getPayment reads a payment loosely", async () => {
    server.use(http.get(`${ORIGIN}/api/v1/payments/pay_Ab12Cd34Ef56Gh`, () => HttpResponse.json(payment)));

    const result = await makeClient().getPayment("pay_Ab12Cd34Ef56Gh");

    expect(result).toMatchObject({
      id: "pay_Ab12Cd34Ef56Gh",
      status: "paid",
      substatus: "succeeded",
      total: 29.99,
      currency: "usd",
      metadata: { order_id: "ord_01HZX4" },
      checkoutConfigurationId: "ch_Xy12Ab34Cd56Ef7",
      planId: "plan_Pq12Rs34Tu56V",
      membershipId: "mem_Ab12Cd34Ef56Gh",
      membershipStatus: "active",
      userId: "user_Ab12Cd34Ef56G",
      userEmail: "sam@example.com",
      createdAt: new Date("2026-08-01T10:00:00.000Z"),
      paidAt: new Date("2026-08-01T10:00:05.000Z"),
    });
  });

  it("getPayment 404 → not_found", async () => {
    server.use(
      http.get(`${ORIGIN}/api/v1/payments/pay_missing`, () =>
        HttpResponse.json({ error: { type: "not_found", message: "Payment not found" } }, { status: 404 }),
      ),
    );
    const err = await whopErrorOf(() => makeClient().getPayment("pay_missing"));
    expect(err.kind).toBe("not_found");
  });

  it("listPayments sends the filters and returns data with page info", async () => {
    let query: URLSearchParams | undefined;
    server.use(
      http.get(`${ORIGIN}/api/v1/payments`, ({ request }) => {
        query = new URL(request.url).searchParams;
        return HttpResponse.json({
          data: [payment, { id: "pay_Zz12Yy34Xx56Ww", status: "open", total: "10.5", membership: "mem_Q1" }],
          page_info: { end_cursor: "cur_2", has_next_page: true },
        });
      }),
    );

    const page = await makeClient().listPayments({
      companyId: "biz_a1B2c3D4e5F6g7",
      createdAfter: new Date("2026-08-01T00:00:00.000Z"),
      first: 50,
      after: "cur_1",
    });

    expect(Object.fromEntries(query ?? [])).toEqual({
      company_id: "biz_a1B2c3D4e5F6g7",
      created_after: "2026-08-01T00:00:00.000Z",
      first: "50",
      after: "cur_1",
    });
    expect(page.pageInfo).toEqual({ endCursor: "cur_2", hasNextPage: true });
    expect(page.data.map((p) => p.id)).toEqual(["pay_Ab12Cd34Ef56Gh", "pay_Zz12Yy34Xx56Ww"]);
    expect(page.data[1]).toMatchObject({ total: 10.5, membershipId: "mem_Q1", userEmail: null, metadata: {} });
  });
});
