import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { eventKey, normalizeEventName, normalizeWhopEvent, parseWhopDispute, parseWhopPayment, parseWhopRefund, type NormalizedEvent } from "@/lib/whop/events";

function normalized(payload: unknown): NormalizedEvent {
  const result = normalizeWhopEvent(payload);
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.event;
}

// Shapes follow docs/whop.md, "Webhooks: envelopes and event names" and "Resource shapes (v1)", and the sandbox serializers.
const v1Payment = {
  id: "msg_2vQ8kLm3NpR5sT7uW9xY1zA3",
  api_version: "v1",
  timestamp: "2025-06-01T12:00:00.000Z",
  type: "payment.succeeded",
  company_id: "biz_AbCdEfGhIjKlMn",
  data: {
    id: "pay_AbCdEf12345678",
    status: "paid",
    substatus: "succeeded",
    total: 29.99,
    subtotal: 29.99,
    usd_total: 29.99,
    refunded_amount: 0,
    currency: "USD",
    paid_at: "2025-06-01T11:59:58.000Z",
    billing_reason: "one_time",
    plan: { id: "plan_AbCdEfGhIjK" },
    product: { id: "prod_AbCdEfGhIjK", title: "Course" },
    membership: { id: "mem_AbCdEf12345678", status: "active" },
    user: { id: "user_AbCdEfGhIjK", username: "buyer", name: "Buyer", email: "buyer@example.com" },
    company: { id: "biz_AbCdEfGhIjKlMn" },
    checkout_configuration_id: "ch_AbCdEfGhIjKlMnO",
    metadata: { order_id: "ord_123", quantity: 2, gift: true, nothing: null },
    extra_field_from_the_future: { nested: [1, 2, 3] },
  },
};

const v5Payment = {
  action: "payment.succeeded",
  api_version: "v5",
  data: {
    id: "pay_AbCdEf12345678",
    membership_id: "mem_AbCdEf12345678",
    plan_id: "plan_AbCdEfGhIjK",
    product_id: "prod_AbCdEfGhIjK",
    user_id: "user_AbCdEfGhIjK",
    company_id: "biz_AbCdEfGhIjKlMn",
    final_amount: 10.5,
    subtotal: 10.5,
    refunded_amount: 0,
    currency: "eur",
    status: "paid",
    substatus: "succeeded",
    checkout_id: "ch_AbCdEfGhIjKlMnO",
    metadata: { order_id: "ord_456" },
    created_at: 1748779190,
    paid_at: 1748779200,
  },
};

const v2PaymentData = {
  id: "pay_V2v2V2v2V2v2V2",
  status: "paid",
  final_amount: "10.5",
  currency: "usd",
  plan: { id: "plan_V2v2V2v2V2v" },
  product: { id: "prod_V2v2V2v2V2v" },
  user: { id: "user_V2v2V2v2V2v", email: "old@example.com" },
  membership: "mem_V2v2V2v2V2v2V2",
  checkout_session_id: "ch_V2v2V2v2V2v2V2v",
  created_at: 1748779190,
};

describe("normalizeWhopEvent: envelopes", () => {
  it("reads a v1 payment.succeeded with nested plan, membership and user", () => {
    expect(normalized(v1Payment)).toEqual({
      name: "payment.succeeded",
      rawName: "payment.succeeded",
      envelope: "v1",
      bodyId: "msg_2vQ8kLm3NpR5sT7uW9xY1zA3",
      dataId: "pay_AbCdEf12345678",
      occurredAt: new Date("2025-06-01T12:00:00.000Z"),
      companyId: "biz_AbCdEfGhIjKlMn",
      payment: {
        id: "pay_AbCdEf12345678",
        status: "paid",
        substatus: "succeeded",
        totalMajor: "29.99",
        currency: "usd",
        subtotalMajor: "29.99",
        refundedMajor: "0",
        billingReason: "one_time",
        paidAt: new Date("2025-06-01T11:59:58.000Z"),
        createdAt: null,
        checkoutId: "ch_AbCdEfGhIjKlMnO",
        planId: "plan_AbCdEfGhIjK",
        membershipId: "mem_AbCdEf12345678",
        membershipStatus: "active",
        userId: "user_AbCdEfGhIjK",
        userEmail: "buyer@example.com",
        metadata: { order_id: "ord_123", quantity: "2", gift: "true" },
      },
      membership: null,
      refund: null,
      dispute: null,
    });
  });

  it("reads a v5 payment.succeeded with flat ids, final_amount and unix paid_at", () => {
    const event = normalized(v5Payment);
    expect(event).toMatchObject({
      name: "payment.succeeded",
      envelope: "v5",
      bodyId: null,
      dataId: "pay_AbCdEf12345678",
      occurredAt: new Date(1748779200 * 1000),
      companyId: "biz_AbCdEfGhIjKlMn",
      membership: null,
      refund: null,
      dispute: null,
    });
    expect(event.payment).toEqual({
      id: "pay_AbCdEf12345678",
      status: "paid",
      substatus: "succeeded",
      totalMajor: "10.5",
      currency: "eur",
      subtotalMajor: "10.5",
      refundedMajor: "0",
      billingReason: null,
      paidAt: new Date(1748779200 * 1000),
      createdAt: new Date(1748779190 * 1000),
      checkoutId: "ch_AbCdEfGhIjKlMnO",
      planId: "plan_AbCdEfGhIjK",
      membershipId: "mem_AbCdEf12345678",
      membershipStatus: null,
      userId: "user_AbCdEfGhIjK",
      userEmail: null,
      metadata: { order_id: "ord_456" },
    });
  });

  it.each([
    ["data", { action: "payment.succeeded", data: v2PaymentData }],
    ["body", { action: "payment.succeeded", body: v2PaymentData }],
  ])("reads a v2 payment under `%s` with string prices and a string membership id", (_key, payload) => {
    const event = normalized(payload);
    expect(event).toMatchObject({ name: "payment.succeeded", envelope: "v2", bodyId: null, dataId: "pay_V2v2V2v2V2v2V2", occurredAt: new Date(1748779190 * 1000), companyId: null });
    expect(event.payment).toEqual({
      id: "pay_V2v2V2v2V2v2V2",
      status: "paid",
      substatus: null,
      totalMajor: "10.5",
      currency: "usd",
      subtotalMajor: null,
      refundedMajor: null,
      billingReason: null,
      paidAt: null,
      createdAt: new Date(1748779190 * 1000),
      checkoutId: "ch_V2v2V2v2V2v2V2v",
      planId: "plan_V2v2V2v2V2v",
      membershipId: "mem_V2v2V2v2V2v2V2",
      membershipStatus: null,
      userId: "user_V2v2V2v2V2v",
      userEmail: "old@example.com",
      metadata: {},
    });
  });

  it("prefers `data` when a v2 payload carries both keys", () => {
    const event = normalized({ action: "payment.succeeded", data: v2PaymentData, body: { id: "pay_other" } });
    expect(event.dataId).toBe("pay_V2v2V2v2V2v2V2");
  });

  it("falls back to `body` when `data` is not an object", () => {
    expect(normalized({ action: "payment.succeeded", data: null, body: v2PaymentData }).dataId).toBe("pay_V2v2V2v2V2v2V2");
  });

  it("reads the company from data when the envelope has none", () => {
    expect(normalized({ action: "payment.succeeded", data: { ...v2PaymentData, company: { id: "biz_Nested" } } }).companyId).toBe("biz_Nested");
  });
});

describe("normalizeWhopEvent: memberships and event-name aliases", () => {
  const v1Membership = {
    id: "msg_Membership0000000000001",
    api_version: "v1",
    timestamp: "2025-06-01T12:00:05.000Z",
    type: "membership.activated",
    company_id: "biz_AbCdEfGhIjKlMn",
    data: {
      id: "mem_AbCdEf12345678",
      status: "active",
      license_key: "LIC-1234",
      metadata: { order_id: "ord_123" },
      plan: { id: "plan_AbCdEfGhIjK" },
      product: { id: "prod_AbCdEfGhIjK" },
      user: { id: "user_AbCdEfGhIjK", email: "buyer@example.com" },
      company: { id: "biz_AbCdEfGhIjKlMn" },
      checkout_configuration_id: "ch_AbCdEfGhIjKlMnO",
    },
  };
  const v5Membership = (action: string, valid: boolean, extra: Record<string, unknown> = {}) => ({
    action,
    api_version: "v5",
    data: {
      id: "mem_AbCdEf12345678",
      plan_id: "plan_AbCdEfGhIjK",
      product_id: "prod_AbCdEfGhIjK",
      user_id: "user_AbCdEfGhIjK",
      company_id: "biz_AbCdEfGhIjKlMn",
      valid,
      status: valid ? "active" : "expired",
      metadata: { order_id: "ord_456" },
      checkout_id: "ch_AbCdEfGhIjKlMnO",
      license_key: null,
      created_at: 1748779190,
      ...extra,
    },
  });

  it("reads a v1 membership.activated", () => {
    const event = normalized(v1Membership);
    expect(event).toMatchObject({ name: "membership.activated", envelope: "v1", payment: null, refund: null, dispute: null });
    expect(event.membership).toEqual({
      id: "mem_AbCdEf12345678",
      status: "active",
      valid: null,
      planId: "plan_AbCdEfGhIjK",
      userId: "user_AbCdEfGhIjK",
      userEmail: "buyer@example.com",
      licenseKey: "LIC-1234",
      expiresAt: null,
      cancelAtPeriodEnd: null,
      renewalPeriodEnd: null,
      checkoutId: "ch_AbCdEfGhIjKlMnO",
      metadata: { order_id: "ord_123" },
    });
  });

  it("maps v5 membership.went_valid to membership.activated and keeps the raw name", () => {
    const event = normalized(v5Membership("membership.went_valid", true));
    expect(event).toMatchObject({ name: "membership.activated", rawName: "membership.went_valid", envelope: "v5", companyId: "biz_AbCdEfGhIjKlMn" });
    expect(event.membership).toEqual({
      id: "mem_AbCdEf12345678",
      status: "active",
      valid: true,
      planId: "plan_AbCdEfGhIjK",
      userId: "user_AbCdEfGhIjK",
      userEmail: null,
      licenseKey: null,
      expiresAt: null,
      cancelAtPeriodEnd: null,
      renewalPeriodEnd: null,
      checkoutId: "ch_AbCdEfGhIjKlMnO",
      metadata: { order_id: "ord_456" },
    });
  });

  it("reads when a membership ends: expires_at, or the period end once it cancels at period end", () => {
    expect(normalized(v5Membership("membership.went_valid", true, { expires_at: 1893456000 })).membership?.expiresAt).toEqual(new Date(1893456000 * 1000));
    const periodEnd = { ...v1Membership, data: { ...v1Membership.data, renewal_period_end: "2030-01-01T00:00:00.000Z" } };
    expect(normalized(periodEnd).membership?.expiresAt).toBeNull();
    const cancelling = { ...periodEnd, data: { ...periodEnd.data, cancel_at_period_end: true } };
    expect(normalized(cancelling).membership?.expiresAt).toEqual(new Date("2030-01-01T00:00:00.000Z"));
  });

  it("maps membership.went_invalid to membership.deactivated", () => {
    const event = normalized(v5Membership("membership.went_invalid", false));
    expect(event.name).toBe("membership.deactivated");
    expect(event.membership).toMatchObject({ valid: false, status: "expired" });
  });

  it("keeps v1 membership.deactivated as is", () => {
    expect(normalized({ ...v1Membership, type: "membership.deactivated" }).name).toBe("membership.deactivated");
  });

  it.each([
    ["payment.succeeded", "payment.succeeded"],
    ["payment_succeeded", "payment.succeeded"],
    ["PAYMENT_SUCCEEDED", "payment.succeeded"],
    [" Payment.Failed ", "payment.failed"],
    ["membership.went_valid", "membership.activated"],
    ["membership_went_valid", "membership.activated"],
    ["membership.went_invalid", "membership.deactivated"],
    ["membership_went_invalid", "membership.deactivated"],
    ["membership.activated", "membership.activated"],
    ["membership.deactivated", "membership.deactivated"],
    ["payment.affiliate_reward_created", "payment.affiliate_reward_created"],
    ["membership.cancel_at_period_end_changed", "membership.cancel_at_period_end_changed"],
    ["membership_metadata_updated", "membership.metadata_updated"],
    ["refund_created", "refund.created"],
    ["invoice.paid", "invoice.paid"],
  ])("normalizeEventName(%j) is %j", (raw, expected) => {
    expect(normalizeEventName(raw)).toBe(expected);
  });

  it("normalises an underscored name inside a payload and fills the payment", () => {
    const event = normalized({ action: "payment_succeeded", api_version: "v5", data: v5Payment.data });
    expect(event).toMatchObject({ name: "payment.succeeded", rawName: "payment_succeeded" });
    expect(event.payment?.id).toBe("pay_AbCdEf12345678");
  });
});

describe("normalizeWhopEvent: refunds, disputes and other events", () => {
  it("reads a v1 refund.created that embeds the payment", () => {
    const event = normalized({
      id: "msg_Refund000000000000000001",
      api_version: "v1",
      timestamp: "2025-06-02T09:00:00.000Z",
      type: "refund.created",
      company_id: "biz_AbCdEfGhIjKlMn",
      data: { id: "rfnd_AbCdEf123456", amount: 5, currency: "USD", status: "pending", created_at: "2025-06-02T08:59:59.000Z", payment: { ...v1Payment.data, substatus: "refunded", refunded_amount: 5 } },
    });
    expect(event).toMatchObject({ name: "refund.created", dataId: "rfnd_AbCdEf123456", membership: null, dispute: null });
    expect(event.refund).toEqual({
      id: "rfnd_AbCdEf123456",
      paymentId: "pay_AbCdEf12345678",
      amountMajor: "5",
      currency: "usd",
      status: "pending",
      createdAt: new Date("2025-06-02T08:59:59.000Z"),
    });
    expect(event.payment).toMatchObject({ id: "pay_AbCdEf12345678", substatus: "refunded", totalMajor: "29.99", refundedMajor: "5", metadata: { order_id: "ord_123" } });
  });

  it("reads a v5 refund.created with a flat payment_id and no payment object", () => {
    const event = normalized({
      action: "refund.created",
      api_version: "v5",
      data: { id: "rfnd_AbCdEf123456", payment_id: "pay_AbCdEf12345678", amount: "12.34", currency: "usd", status: "succeeded", created_at: 1748854800 },
    });
    expect(event.refund).toEqual({
      id: "rfnd_AbCdEf123456",
      paymentId: "pay_AbCdEf12345678",
      amountMajor: "12.34",
      currency: "usd",
      status: "succeeded",
      createdAt: new Date(1748854800 * 1000),
    });
    expect(event.payment).toBeNull();
    expect(event.occurredAt).toEqual(new Date(1748854800 * 1000));
  });

  it("takes the refund's payment id from an id-only payment stub without inventing a payment", () => {
    const event = normalized({ action: "refund.updated", data: { id: "rfnd_1", amount: 1, payment: { id: "pay_Stub" } } });
    expect(event.refund?.paymentId).toBe("pay_Stub");
    expect(event.payment).toBeNull();
  });

  it("lower-cases a refund's status and leaves what is missing null", () => {
    const event = normalized({ action: "refund.updated", data: { id: "rfnd_1", payment_id: "pay_1", status: " SUCCEEDED " } });
    expect(event.refund).toEqual({ id: "rfnd_1", paymentId: "pay_1", amountMajor: null, currency: null, status: "succeeded", createdAt: null });
  });

  it("reads dispute.created with its payment id", () => {
    const event = normalized({
      action: "dispute.created",
      api_version: "v5",
      data: { id: "dspt_AbCdEf", payment_id: "pay_AbCdEf12345678", amount: 29.99, currency: "USD", status: "Needs_Response", reason: "fraudulent", needs_response_by: 1749384000 },
    });
    expect(event).toMatchObject({ name: "dispute.created", payment: null, membership: null, refund: null });
    expect(event.dispute).toEqual({
      id: "dspt_AbCdEf",
      paymentId: "pay_AbCdEf12345678",
      status: "needs_response",
      amountMajor: "29.99",
      currency: "usd",
      reason: "fraudulent",
      needsResponseBy: new Date(1749384000 * 1000),
    });
  });

  it("reads a v1 dispute whose payment is nested", () => {
    const event = normalized({ id: "msg_D", api_version: "v1", type: "dispute.updated", data: { id: "dspt_X", status: "won", amount: "29.99", payment: v1Payment.data } });
    // The currency comes from the embedded payment when the dispute does not name one.
    expect(event.dispute).toEqual({
      id: "dspt_X",
      paymentId: "pay_AbCdEf12345678",
      status: "won",
      amountMajor: "29.99",
      currency: "usd",
      reason: null,
      needsResponseBy: null,
    });
    expect(event.payment?.metadata).toEqual({ order_id: "ord_123", quantity: "2", gift: "true" });
  });

  it.each(["invoice.paid", "app.installed", "something_new_entirely"])("keeps an unknown event type %j with every sub-object null", (type) => {
    const event = normalized({ id: "msg_Unknown", api_version: "v1", type, data: { id: "inv_123", total: 5 } });
    expect(event).toMatchObject({ rawName: type, dataId: "inv_123", payment: null, membership: null, refund: null, dispute: null });
    expect(event.name).toBe(normalizeEventName(type));
  });

  it("leaves the payment null when a payment event's data has no id", () => {
    const event = normalized({ action: "payment.failed", data: { status: "failed" } });
    expect(event).toMatchObject({ name: "payment.failed", dataId: null, payment: null });
  });
});

describe("normalizeWhopEvent: amounts, currencies, metadata and times", () => {
  const payment = (data: Record<string, unknown>) => normalized({ action: "payment.succeeded", data: { id: "pay_1", ...data } }).payment!;

  it.each([
    [29.99, "29.99"],
    [0.3, "0.3"],
    [19.9, "19.9"],
    [10, "10"],
    [10.5, "10.5"],
    [0, "0"],
    [1234567.89, "1234567.89"],
    [1e-7, "0.0000001"],
    ["29.99", "29.99"],
    ["10.50", "10.50"],
    [" 7.00 ", "7.00"],
  ])("keeps the amount %j as %j", (total, expected) => {
    expect(payment({ total }).totalMajor).toBe(expected);
  });

  it.each([["abc"], ["1,000.00"], [""], [Number.NaN], [Number.POSITIVE_INFINITY], [null], [{ amount: 5 }], [true]])("refuses the amount %j", (total) => {
    expect(payment({ total }).totalMajor).toBeNull();
  });

  it("takes total, then final_amount, then amount", () => {
    expect(payment({ total: 1, final_amount: 2, amount: 3 }).totalMajor).toBe("1");
    expect(payment({ final_amount: 2, amount: 3 }).totalMajor).toBe("2");
    expect(payment({ amount: "3.30" }).totalMajor).toBe("3.30");
    expect(payment({ total: "garbage", final_amount: 2 }).totalMajor).toBe("2");
  });

  it("lower-cases the currency", () => {
    expect(payment({ currency: "GBP" }).currency).toBe("gbp");
    expect(payment({ currency: 826 }).currency).toBeNull();
  });

  it("takes the checkout id from checkout_configuration_id, checkout_id or checkout_session_id", () => {
    expect(payment({ checkout_configuration_id: "ch_A", checkout_id: "ch_B" }).checkoutId).toBe("ch_A");
    expect(payment({ checkout_id: "ch_B" }).checkoutId).toBe("ch_B");
    expect(payment({ checkout_session_id: "ch_C" }).checkoutId).toBe("ch_C");
  });

  it("coerces metadata values to strings and treats non-object metadata as empty", () => {
    expect(payment({ metadata: { a: 1, b: false, c: "x", d: { e: 1 }, f: null } }).metadata).toEqual({ a: "1", b: "false", c: "x", d: '{"e":1}' });
    expect(payment({ metadata: "order_id=1" }).metadata).toEqual({});
    expect(payment({ metadata: ["a"] }).metadata).toEqual({});
    expect(payment({ metadata: null }).metadata).toEqual({});
  });

  it("reads occurredAt from ISO strings, unix seconds (number or string) and ignores garbage", () => {
    const at = (data: Record<string, unknown>) => normalized({ action: "payment.succeeded", data: { id: "pay_1", ...data } }).occurredAt;
    expect(at({ paid_at: "2025-06-01T12:00:00Z" })).toEqual(new Date("2025-06-01T12:00:00Z"));
    expect(at({ paid_at: 1748779200 })).toEqual(new Date(1748779200 * 1000));
    expect(at({ paid_at: "1748779200" })).toEqual(new Date(1748779200 * 1000));
    expect(at({ paid_at: null, created_at: 1748779190 })).toEqual(new Date(1748779190 * 1000));
    expect(at({ paid_at: "not a date" })).toBeNull();
    expect(at({})).toBeNull();
  });
});

describe("Whop's API resources (what reconciliation reads), parsed like a webhook's data", () => {
  it("reads a payment, a refund and a dispute exactly as the events that embed them", () => {
    expect(parseWhopPayment(v1Payment.data)).toEqual(normalized(v1Payment).payment);
    const refund = { id: "rfnd_1", payment: { id: "pay_1" }, amount: "5.00", currency: "EUR", status: "Succeeded", created_at: "2031-01-01T00:00:00Z" };
    expect(parseWhopRefund(refund)).toEqual(normalized({ action: "refund.updated", data: refund }).refund);
    expect(parseWhopRefund(refund)).toMatchObject({ paymentId: "pay_1", status: "succeeded", currency: "eur", createdAt: new Date("2031-01-01T00:00:00Z") });
    const dispute = { id: "dspt_1", payment_id: "pay_1", status: "lost", amount: 29.99, currency: "usd" };
    expect(parseWhopDispute(dispute)).toEqual(normalized({ action: "dispute.updated", data: dispute }).dispute);
  });

  it("answers null for what is not an object, or a payment without an id", () => {
    for (const garbage of [null, "pay_1", [v1Payment.data], 42]) {
      expect(parseWhopPayment(garbage)).toBeNull();
      expect(parseWhopRefund(garbage)).toBeNull();
      expect(parseWhopDispute(garbage)).toBeNull();
    }
    expect(parseWhopPayment({ status: "paid" })).toBeNull();
  });
});

describe("normalizeWhopEvent: malformed payloads", () => {
  it.each([
    ["null", null, /not a JSON object/],
    ["a string", "payment.succeeded", /not a JSON object/],
    ["an array", [{ type: "payment.succeeded", data: {} }], /not a JSON object/],
    ["no event name", { api_version: "v1", data: { id: "pay_1" } }, /no event name/],
    ["a non-string event name", { type: 42, data: { id: "pay_1" } }, /no event name/],
    ["a blank event name", { action: "   ", data: { id: "pay_1" } }, /no event name/],
    ["no data", { type: "payment.succeeded" }, /no data object/],
    ["data that is a string", { action: "payment.succeeded", data: "pay_1" }, /no data object/],
    ["data that is an array", { action: "payment.succeeded", data: [{ id: "pay_1" }] }, /no data object/],
  ])("refuses %s with a specific error", (_label, payload, error) => {
    const result = normalizeWhopEvent(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });
});

describe("eventKey", () => {
  const v1 = normalized(v1Payment);
  const v5 = normalized(v5Payment);
  const v1Body = JSON.stringify(v1Payment);
  const v5Body = JSON.stringify(v5Payment);
  const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

  it("uses the webhook-id header under Standard Webhooks, whose signature covers it", () => {
    expect(eventKey(v1, { scheme: "standard", webhookId: "msg_FromHeader", rawBody: v1Body })).toBe("msg_FromHeader");
    expect(eventKey(v5, { scheme: "standard", webhookId: " msg_FromHeader ", rawBody: v5Body })).toBe("msg_FromHeader");
  });

  it.each(["legacy", "bare"])("ignores a webhook-id header under the %s scheme, which does not sign it", (scheme) => {
    expect(eventKey(v1, { scheme, webhookId: "msg_FromHeader", rawBody: v1Body })).toBe("msg_2vQ8kLm3NpR5sT7uW9xY1zA3");
    expect(eventKey(v5, { scheme, webhookId: "msg_FromHeader", rawBody: v5Body })).toBe(sha256(v5Body));
    // A resent body with another header is the same event.
    expect(eventKey(v5, { scheme, webhookId: "msg_Other", rawBody: v5Body })).toBe(eventKey(v5, { scheme, webhookId: "msg_FromHeader", rawBody: v5Body }));
  });

  it("uses the body id when there is no header", () => {
    expect(eventKey(v1, { scheme: "standard", webhookId: null, rawBody: v1Body })).toBe("msg_2vQ8kLm3NpR5sT7uW9xY1zA3");
    expect(eventKey(v1, { scheme: "standard", webhookId: "  ", rawBody: v1Body })).toBe("msg_2vQ8kLm3NpR5sT7uW9xY1zA3");
    expect(eventKey(v1, { scheme: "legacy", webhookId: null, rawBody: v1Body })).toBe("msg_2vQ8kLm3NpR5sT7uW9xY1zA3");
  });

  it("falls back to a SHA-256 of the raw body bytes, the same whether given as text or bytes", () => {
    const key = eventKey(v5, { scheme: "bare", webhookId: null, rawBody: v5Body });
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(key).toBe(sha256(v5Body));
    expect(eventKey(v5, { scheme: "bare", webhookId: null, rawBody: new TextEncoder().encode(v5Body) })).toBe(key);
    const bytes = Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]); // not UTF-8: digested as sent, not as decoded text
    expect(eventKey(v5, { scheme: "bare", webhookId: null, rawBody: bytes })).toBe(sha256(bytes));
    expect(eventKey(v5, { scheme: "bare", webhookId: null, rawBody: bytes })).not.toBe(sha256(Buffer.from(Buffer.from(bytes).toString("utf8"), "utf8")));
  });

  it("keys id-less events by their bytes: a resent body dedupes, any change (even whitespace or an alias spelling) is a new event", () => {
    const body = (payload: unknown, space?: number) => JSON.stringify(payload, null, space);
    const a = { action: "payment.failed", data: { status: "failed", created_at: 1748779190 } };
    const b = { action: "payment.failed", data: { status: "failed", created_at: 1748779191 } };
    const key = (payload: unknown, rawBody: string) => eventKey(normalized(payload), { scheme: "bare", webhookId: null, rawBody });
    expect(key(a, body(a))).toBe(key(a, body(a)));
    expect(key(a, body(a))).not.toBe(key(b, body(b)));
    expect(key(a, body(a))).not.toBe(key(a, body(a, 2)));
    const wentValid = { action: "membership.went_valid", data: { id: "mem_1" } };
    const activated = { action: "membership_went_valid", data: { id: "mem_1" } };
    expect(key(wentValid, body(wentValid))).not.toBe(key(activated, body(activated)));
  });
});
