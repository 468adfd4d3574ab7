import Whop from "@whop/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCompany, startSandbox, type IsolatedCompany, type Sandbox } from "./helpers";

let sandbox: Sandbox;
let company: IsolatedCompany;

const client = (apiKey: string, options: { maxRetries?: number } = {}) =>
  new Whop({ apiKey, baseURL: `${sandbox.url}/api/v1`, maxRetries: options.maxRetries ?? 0, logLevel: "off" });

beforeAll(async () => {
  sandbox = await startSandbox({ rateLimitPerMinute: 1000 });
  company = await createCompany(sandbox, "SDK Contract Co");
});
afterAll(() => sandbox.close());

describe("@whop/sdk against the sandbox", () => {
  it("reads the business account of a company key with accounts.me()", async () => {
    const account = await client(company.companyKey).accounts.me();
    expect(account.id).toBe(company.companyId);
    expect(account.title).toBe("SDK Contract Co");
    expect(account.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("creates and reads products, plans and checkout configurations in the dated shape", async () => {
    const whop = client(company.companyKey);
    const product = await whop.products.create({ title: "Course" });
    expect(product.id).toMatch(/^prod_[0-9A-Za-z]{13}$/);

    const plan = await whop.plans.create({
      product_id: product.id,
      plan_type: "one_time",
      initial_price: 12.5,
      currency: "eur",
      title: "Course access",
      visibility: "hidden",
    });
    expect(plan.id).toMatch(/^plan_[0-9A-Za-z]{13}$/);
    expect(plan.initial_price).toBe(12.5);
    expect((plan as unknown as { account_id: string }).account_id).toBe(company.companyId);
    expect(await whop.plans.retrieve(plan.id)).toMatchObject({ id: plan.id, currency: "eur" });

    const checkout = await whop.checkoutConfigurations.create({
      plan: { currency: "usd", plan_type: "one_time", initial_price: 29.99, title: "Premium", visibility: "hidden", force_create_new_plan: true },
      metadata: { order_id: "ord_sdk" },
      redirect_url: "https://app.example/done",
      "Idempotency-Key": "ord_sdk",
    });
    expect(checkout.id).toMatch(/^ch_[0-9A-Za-z]{15}$/);
    expect(checkout.account_id).toBe(company.companyId);
    expect(checkout.mode).toBe("payment");
    expect(checkout.metadata).toEqual({ order_id: "ord_sdk" });
    expect(checkout.purchase_url).toBe(`${sandbox.url}/checkout/${checkout.plan!.id}/?session=${checkout.id}`);

    const again = await whop.checkoutConfigurations.retrieve(checkout.id);
    expect(again.id).toBe(checkout.id);

    const withPlanId = await whop.checkoutConfigurations.create({ plan_id: plan.id, metadata: { order_id: "ord_2" } });
    expect(withPlanId.plan?.id).toBe(plan.id);

    const listed = await whop.checkoutConfigurations.list({ account_id: company.companyId });
    expect(listed.data.map((c) => c.id)).toEqual([withPlanId.id, checkout.id]);
    const plans = await whop.plans.list({ account_id: company.companyId });
    expect(plans.data.map((p) => p.id)).toContain(plan.id);
    const products = await whop.products.list({ account_id: company.companyId });
    expect(products.data.map((p) => p.id)).toContain(product.id);
  });

  it("pages through lists with first/after", async () => {
    const whop = client(company.companyKey);
    const pageCompany = await createCompany(sandbox, "Paging Co");
    const paging = client(pageCompany.companyKey);
    for (let i = 0; i < 5; i++) await paging.products.create({ title: `P${i}` });
    const first = await paging.products.list({ account_id: pageCompany.companyId, first: 2 });
    expect(first.data).toHaveLength(2);
    expect((first.page_info as { has_next_page?: boolean }).has_next_page).toBe(true);
    const all: string[] = [];
    for await (const product of paging.products.list({ account_id: pageCompany.companyId, first: 2 })) all.push(product.title);
    expect(all).toEqual(["P4", "P3", "P2", "P1", "P0"]);
    // another company's list is refused
    await expect(whop.products.list({ account_id: pageCompany.companyId })).rejects.toBeInstanceOf(Whop.PermissionDeniedError);
  });

  it("reads payments and creates webhooks", async () => {
    const whop = client(company.companyKey);
    const checkout = await whop.checkoutConfigurations.create({
      plan: { currency: "usd", plan_type: "one_time", initial_price: 5, title: "Tip", force_create_new_plan: true },
      metadata: { order_id: "ord_pay" },
    });
    const paid = await fetch(`${sandbox.url}/_sandbox/checkouts/${checkout.id}/pay`, { method: "POST", body: "{}" });
    const { id: paymentId } = (await paid.json()) as { id: string };

    const payment = await whop.payments.retrieve(paymentId);
    expect(payment).toMatchObject({ id: paymentId, status: "paid", substatus: "succeeded", total: 5, currency: "usd" });
    expect(payment.metadata).toEqual({ order_id: "ord_pay" });
    expect(payment.checkout_configuration_id).toBe(checkout.id);

    const list = await whop.payments.list({ company_id: company.companyId, statuses: ["paid"] });
    expect(list.data.map((p) => p.id)).toEqual([paymentId]);
    const none = await whop.payments.list({ company_id: company.companyId, statuses: ["open"] });
    expect(none.data).toEqual([]);

    const membership = await whop.memberships.retrieve(payment.membership!.id);
    expect(membership).toMatchObject({ status: "active", metadata: { order_id: "ord_pay" } });

    const hook = await whop.webhooks.create({
      url: "https://app.example/api/webhooks/whop/t1",
      api_version: "v1",
      enabled: true,
      events: ["payment.succeeded", "membership.activated"],
      resource_id: company.companyId,
    });
    expect(hook.id).toMatch(/^hook_[0-9A-Za-z]{13}$/);
    expect(hook.webhook_secret).toMatch(/^ws_[0-9A-Za-z]{32,}$/);
    const fetched = await whop.webhooks.retrieve(hook.id);
    expect(fetched).not.toHaveProperty("webhook_secret");
    const hooks = await whop.webhooks.list({ company_id: company.companyId });
    expect(hooks.data.map((h) => h.id)).toEqual([hook.id]);
    expect(await whop.webhooks.delete(hook.id)).toBe(true);
    await expect(whop.webhooks.retrieve(hook.id)).rejects.toBeInstanceOf(Whop.NotFoundError);
  });

  it("reads refunds and disputes, and edits a webhook with webhooks.update", async () => {
    const whop = client(company.companyKey);
    const checkout = await whop.checkoutConfigurations.create({
      plan: { currency: "usd", plan_type: "one_time", initial_price: 20, title: "After sale", force_create_new_plan: true },
      metadata: { order_id: "ord_after" },
    });
    const post = async (path: string, body: unknown = {}) =>
      (await (await fetch(`${sandbox.url}/_sandbox${path}`, { method: "POST", body: JSON.stringify(body) })).json()) as { id: string };
    const { id: paymentId } = await post(`/checkouts/${checkout.id}/pay`);

    const paymentAfterRefund = await whop.payments.refund(paymentId, { partial_amount: 5 });
    expect(paymentAfterRefund).toMatchObject({ id: paymentId, refunded_amount: 0 });
    const held = await post(`/payments/${paymentId}/refund`, { amount: 3, settle: "hold" });
    const refunds = await whop.refunds.list({ payment_id: paymentId });
    expect(refunds.data.map((r) => [r.id === held.id, r.amount, r.payment?.id])).toEqual([
      [true, 3, paymentId],
      [false, 5, paymentId],
    ]);
    const refund = await whop.refunds.retrieve(held.id);
    expect(refund).toMatchObject({ id: held.id, status: "pending", amount: 3, payment: { id: paymentId, metadata: { order_id: "ord_after" } } });
    expect((await whop.refunds.list({ company_id: company.companyId })).data.length).toBeGreaterThanOrEqual(2);

    const dispute = await post(`/payments/${paymentId}/dispute`, { reason: "fraudulent" });
    const disputes = await whop.disputes.list({ company_id: company.companyId });
    expect(disputes.data.map((d) => [d.id, d.status, d.payment?.id])).toEqual([[dispute.id, "needs_response", paymentId]]);
    await post(`/disputes/${dispute.id}/win`);
    expect(await whop.disputes.retrieve(dispute.id)).toMatchObject({ id: dispute.id, status: "won", payment: { id: paymentId } });

    const hook = await whop.webhooks.create({ url: "https://app.example/hook", events: ["payment.succeeded"], resource_id: company.companyId });
    const updated = await whop.webhooks.update(hook.id, { events: ["payment.succeeded", "refund.created", "refund.updated", "dispute.created", "dispute.updated"] });
    expect(updated.events).toEqual(["payment.succeeded", "refund.created", "refund.updated", "dispute.created", "dispute.updated"]);
    expect(updated).not.toHaveProperty("webhook_secret");
    expect((await whop.webhooks.update(hook.id, { enabled: false })).enabled).toBe(false);
    await expect(whop.webhooks.update(hook.id, { url: "not a url" })).rejects.toBeInstanceOf(Whop.BadRequestError);
    expect(await whop.webhooks.delete(hook.id)).toBe(true);
  });

  it("raises the SDK's typed errors for 400, 401, 403, 404 and 429", async () => {
    const whop = client(company.companyKey);
    const tooLong = whop.checkoutConfigurations.create({
      plan: { currency: "usd", plan_type: "one_time", initial_price: 10, title: "x".repeat(31) },
    });
    await expect(tooLong).rejects.toBeInstanceOf(Whop.BadRequestError);
    await expect(tooLong).rejects.toThrow(/Title is too long/);

    await expect(client("apik_not_a_real_key").accounts.me()).rejects.toBeInstanceOf(Whop.AuthenticationError);
    await expect(client(company.userKey).accounts.me()).rejects.toBeInstanceOf(Whop.PermissionDeniedError);
    const restricted = client(company.restrictedKey).accounts.me();
    await expect(restricted).rejects.toBeInstanceOf(Whop.BadRequestError);
    await expect(restricted).rejects.toThrow("Actor is missing all required permissions: `company:basic:read`");
    await expect(
      client(company.noWebhookKey).webhooks.create({ url: "https://x.example/h", resource_id: company.companyId }),
    ).rejects.toBeInstanceOf(Whop.PermissionDeniedError);
    await expect(whop.payments.retrieve("pay_doesnotexist00")).rejects.toBeInstanceOf(Whop.NotFoundError);

    await fetch(`${sandbox.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify({ mode: "429", count: 1 }) });
    await expect(whop.accounts.me()).rejects.toBeInstanceOf(Whop.RateLimitError);
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify({ mode: "500", count: 1 }) });
    await expect(whop.accounts.me()).rejects.toBeInstanceOf(Whop.InternalServerError);
    // the SDK's own retry gets past a single injected 500
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify({ mode: "500", count: 1 }) });
    await expect(client(company.companyKey, { maxRetries: 1 }).accounts.me()).resolves.toMatchObject({ id: company.companyId });
  });

  it("rate-limits each operation per credential with Whop's message", async () => {
    const limited = await startSandbox({ rateLimitPerMinute: 3 });
    try {
      const whop = new Whop({ apiKey: limited.seed.companyKey, baseURL: `${limited.url}/api/v1`, maxRetries: 0, logLevel: "off" });
      for (let i = 0; i < 3; i++) await whop.accounts.me();
      const error = await whop.accounts.me().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Whop.RateLimitError);
      expect((error as InstanceType<typeof Whop.RateLimitError>).message).toMatch(/Try again in \d+ seconds\./);
      // another operation, and another credential, each have their own budget
      await expect(whop.products.list({ account_id: limited.seed.companyId })).resolves.toBeTruthy();
      const other = new Whop({ apiKey: limited.seed.noWebhookKey, baseURL: `${limited.url}/api/v1`, maxRetries: 0, logLevel: "off" });
      await expect(other.accounts.me()).resolves.toMatchObject({ id: limited.seed.companyId });
    } finally {
      await limited.close();
    }
  });
});
