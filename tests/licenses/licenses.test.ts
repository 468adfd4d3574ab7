import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { POST as activateRoute } from "@/app/api/v1/licenses/activate/route";
import { POST as deactivateRoute } from "@/app/api/v1/licenses/deactivate/route";
import { POST as validateRoute } from "@/app/api/v1/licenses/validate/route";
import { GET as listOrdersRoute } from "@/app/api/v1/orders/route";
import { db } from "@/db/client";
import { auditLog, licenseActivations, orders, outboundEvents, type Item, type Order } from "@/db/schema";
import { publishableKeyFor, rotatePublishableKey } from "@/lib/api/publishable-keys";
import { API_SCOPES } from "@/lib/api/scopes";
import { createApiToken } from "@/lib/api/tokens";
import { randomBase62 } from "@/lib/ids";
import { newLicenseKey, parseLicenseKey } from "@/lib/licenses/keys";
import { resetActivations } from "@/lib/licenses/licenses";
import { LICENSE_LIMITS } from "@/lib/licenses/throttle";
import { parseEncryptionKeys } from "@/lib/crypto/keyring";
import { rotateStoredSecrets } from "@/lib/crypto/rotate";
import { decryptSecret, encryptSecret } from "@/lib/crypto/secrets";
import { openPayload, sealedKeyOf, sealedPayload } from "@/lib/outbound/payload";
import { withTestDatabase } from "../db";
import { postToWebhookRoute } from "../webhook-route";
import { connectedMerchant, fixtureItem, fixtureOrder, signStandard, startOfAFreshMinuteWindow, withWebhookSecret } from "../fixtures";

withTestDatabase();

/*
 * License keys of our own, activations and the publishable key, through the real routes: Whop's
 * signed webhooks pay the order, the merchant's app asks with `whp_…` (or a `licenses:write` token).
 */

const BASE = "http://localhost:3000";
type Body = Record<string, unknown> & { error?: { code: string; message: string } };

async function merchant(itemOverrides: Partial<Item> = {}) {
  const m = await connectedMerchant();
  const { tenant, secret } = await withWebhookSecret(m.tenant);
  const item = await fixtureItem(tenant, { title: `App ${randomBase62(6)}`, issueLicenseKeys: true, ...itemOverrides });
  const publishable = await publishableKeyFor(tenant.id);
  return { ...m, tenant, secret, item, publishable };
}
type Merchant = Awaited<ReturnType<typeof merchant>>;

async function whopSays(m: Merchant, type: string, data: Record<string, unknown>) {
  const body = JSON.stringify({ id: `msg_${randomBase62(24)}`, api_version: "v1", timestamp: new Date().toISOString(), type, data });
  const response = await postToWebhookRoute(
    new Request(`${BASE}/api/webhooks/whop/${m.tenant.publicId}`, { method: "POST", body, headers: { "content-type": "application/json", ...signStandard(m.secret, body) } }),
    m.tenant.publicId,
  );
  expect(response.status).toBe(200);
}

function paymentSucceeded(m: Merchant, order: Order, payment = `pay_${randomBase62(14)}`) {
  return {
    id: payment,
    status: "paid",
    substatus: "succeeded",
    total: 29.99,
    subtotal: 29.99,
    currency: "usd",
    metadata: { order_id: order.id, tenant_id: m.tenant.id },
    user: { id: `user_${randomBase62(8)}`, email: "buyer@example.com" },
  };
}

const orderRow = async (id: string): Promise<Order> => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;

async function paidOrder(m: Merchant, item = m.item) {
  const order = await fixtureOrder(m.tenant, item);
  await whopSays(m, "payment.succeeded", paymentSucceeded(m, order));
  return orderRow(order.id);
}

/** The key the API shows the merchant for the order. */
async function keyOf(m: Merchant, orderId: string): Promise<string> {
  const token = await createApiToken(m.actor, "server", ["orders:read"]);
  if (!token.ok) throw new Error(token.message);
  const list = await listOrdersRoute(new Request(`${BASE}/api/v1/orders`, { headers: { authorization: `Bearer ${token.token}` } }), { params: Promise.resolve({} as never) });
  const order = ((await list.json()) as { data: { id: string; license_key: string | null }[] }).data.find((o) => o.id === orderId)!;
  return order.license_key!;
}

type Route = (request: Request) => Promise<Response>;
async function ask(route: Route, credential: string, body: unknown, ip = "203.0.113.7") {
  const response = await route(
    new Request(`${BASE}/api/v1/licenses/x`, {
      method: "POST",
      headers: { authorization: `Bearer ${credential}`, "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify(body),
    }),
  );
  return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
}
const validate = (credential: string, body: unknown, ip?: string) => ask(validateRoute, credential, body, ip);
const activate = (credential: string, body: unknown, ip?: string) => ask(activateRoute, credential, body, ip);
const deactivate = (credential: string, body: unknown, ip?: string) => ask(deactivateRoute, credential, body, ip);

describe("license keys of our own", () => {
  it("have 100 random bits in five groups of five with a checksum: case, dashes and O/0, I/1 are forgiven, a typo is caught without a lookup", () => {
    const key = newLicenseKey();
    expect(key).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
    expect(new Set(Array.from({ length: 200 }, newLicenseKey)).size).toBe(200);
    expect(parseLicenseKey(` ${key.toLowerCase().replaceAll("-", "")} `)).toEqual({ kind: "ours", key });
    expect(parseLicenseKey(key.replaceAll("0", "O").replaceAll("1", "I"))).toEqual({ kind: "ours", key });
    const chars = key.replaceAll("-", "");
    for (const at of [0, 7, 19, 22]) {
      const typo = chars.slice(0, at) + (chars[at] === "A" ? "B" : "A") + chars.slice(at + 1);
      expect(parseLicenseKey(typo)).toEqual({ kind: "mistyped" });
    }
    const swapped = chars[3] === chars[4] ? null : chars.slice(0, 3) + chars[4] + chars[3] + chars.slice(5);
    if (swapped) expect(parseLicenseKey(swapped)).toEqual({ kind: "mistyped" });
    // Whop's keys (another shape) are taken as typed.
    expect(parseLicenseKey("ABCDEF-GHIJKL-MNOPQR-STUVWX")).toEqual({ kind: "other", key: "ABCDEF-GHIJKL-MNOPQR-STUVWX" });
  });

  it("are issued once, on the first succeeded payment, encrypted with a digest; replays and concurrent events change nothing", async () => {
    const m = await merchant();
    const order = await fixtureOrder(m.tenant, m.item);
    const payment = paymentSucceeded(m, order);
    await Promise.all([whopSays(m, "payment.succeeded", payment), whopSays(m, "payment.succeeded", { ...payment }), whopSays(m, "payment.succeeded", paymentSucceeded(m, order))]);
    const issued = await orderRow(order.id);
    const key = await keyOf(m, order.id);
    expect(parseLicenseKey(key)).toEqual({ kind: "ours", key });
    expect(issued.licenseKeyHint).toBe(key.slice(-4));
    expect(issued.licenseKeyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(issued)).not.toContain(key);

    await whopSays(m, "payment.succeeded", payment);
    expect((await orderRow(order.id)).licenseKeyCiphertext).toBe(issued.licenseKeyCiphertext);
    expect(await validate(m.publishable, { license_key: key.toLowerCase() })).toMatchObject({ status: 200, body: { valid: true, reason: null, item: { id: m.item.id } } });
  });

  it("are not issued for an item without Issue license keys, nor before a payment succeeds; Whop's own key is used when Whop sends one", async () => {
    const m = await merchant();
    const plain = await fixtureItem(m.tenant, { issueLicenseKeys: false });
    expect((await paidOrder(m, plain)).licenseKeyHash).toBeNull();
    const pending = await fixtureOrder(m.tenant, m.item);
    await whopSays(m, "payment.pending", { ...paymentSucceeded(m, pending), status: "pending", substatus: "pending" });
    expect((await orderRow(pending.id)).licenseKeyHash).toBeNull();

    const order = await fixtureOrder(m.tenant, plain);
    const membership = `mem_${randomBase62(14)}`;
    await whopSays(m, "payment.succeeded", { ...paymentSucceeded(m, order), membership: { id: membership } });
    await whopSays(m, "membership.activated", { id: membership, status: "active", license_key: "WHOPKY-123456-ABCDEF-987654", metadata: { order_id: order.id } });
    expect(await keyOf(m, order.id)).toBe("WHOPKY-123456-ABCDEF-987654");
    expect(await validate(m.publishable, { license_key: "WHOPKY-123456-ABCDEF-987654" })).toMatchObject({ body: { valid: true } });
  });

  it("travel in outbound events to the merchant but are stored sealed", async () => {
    const m = await merchant();
    const order = await paidOrder(m);
    const key = await keyOf(m, order.id);
    const events = await db().select().from(outboundEvents).where(and(eq(outboundEvents.tenantId, m.tenant.id), eq(outboundEvents.orderId, order.id)));
    const paid = events.find((event) => event.type === "order.paid")!;
    expect(paid.payload).not.toContain(key);
    expect(JSON.parse(openPayload(m.tenant.id, paid.payload))).toMatchObject({ type: "order.paid", data: { id: order.id, license_key: key } });
  });

  it("are valid exactly while the order grants access", async () => {
    const m = await merchant();
    const order = await fixtureOrder(m.tenant, m.item);
    const payment = paymentSucceeded(m, order);
    await whopSays(m, "payment.succeeded", payment);
    const key = await keyOf(m, order.id);
    expect((await validate(m.publishable, { license_key: key })).body).toMatchObject({ valid: true });
    await whopSays(m, "refund.updated", { id: `rfnd_${randomBase62(10)}`, amount: 29.99, currency: "usd", status: "succeeded", payment: { id: payment.id, total: 29.99, subtotal: 29.99, currency: "usd", metadata: payment.metadata } });
    expect((await validate(m.publishable, { license_key: key })).body).toMatchObject({ valid: false, reason: "invalid", membership: { order_id: order.id } });
    expect(await activate(m.publishable, { license_key: key, instance_name: "Laptop" })).toMatchObject({ status: 409, body: { error: { code: "license_not_valid" } } });
  });
});

describe("activations", () => {
  it("hold the Activation limit under concurrency: ten at once with a limit of three make exactly three", async () => {
    const m = await merchant({ activationLimit: 3 });
    const order = await paidOrder(m);
    const key = await keyOf(m, order.id);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => activate(m.publishable, { license_key: key, instance_name: `Machine ${i}` }, `198.51.100.${i}`)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.error!.code)).toEqual(Array(7).fill("activation_limit_reached"));
    expect(await db().select().from(licenseActivations).where(and(eq(licenseActivations.tenantId, m.tenant.id), eq(licenseActivations.orderId, order.id)))).toHaveLength(3);
  });

  it("validate with an activation id, deactivate to free a seat, and answer unknown activations", async () => {
    const m = await merchant({ activationLimit: 1 });
    const order = await paidOrder(m);
    const key = await keyOf(m, order.id);
    const first = await activate(m.publishable, { license_key: key, instance_name: "Studio iMac" });
    expect(first).toMatchObject({ status: 201, body: { activation_id: expect.stringMatching(/^act_/), valid: true, activations: { used: 1, limit: 1 }, activation: { instance_name: "Studio iMac" } } });
    const id = first.body.activation_id as string;
    expect((await validate(m.publishable, { license_key: key, activation_id: id })).body).toMatchObject({ valid: true, activation: { id } });
    expect(await activate(m.publishable, { license_key: key, instance_name: "Laptop" })).toMatchObject({ status: 409, body: { error: { code: "activation_limit_reached" } } });

    expect(await deactivate(m.publishable, { license_key: key, activation_id: id })).toMatchObject({ status: 200, body: { deactivated: true, activations: { used: 0 } } });
    expect((await validate(m.publishable, { license_key: key, activation_id: id })).body).toMatchObject({ valid: false, reason: "activation_not_found" });
    expect(await deactivate(m.publishable, { license_key: key, activation_id: id })).toMatchObject({ status: 404, body: { error: { code: "activation_not_found" } } });
    expect((await activate(m.publishable, { license_key: key, instance_name: "Laptop" })).status).toBe(201);
  });

  it("are reset by the merchant (audited), which frees every seat", async () => {
    const m = await merchant({ activationLimit: 2 });
    const order = await paidOrder(m);
    const key = await keyOf(m, order.id);
    for (const name of ["One", "Two"]) expect((await activate(m.publishable, { license_key: key, instance_name: name })).status).toBe(201);
    expect(await resetActivations(m.actor, order.id)).toEqual({ ok: true, count: 2 });
    const [entry] = await db().select().from(auditLog).where(and(eq(auditLog.tenantId, m.tenant.id), eq(auditLog.action, "license.activations_reset")));
    expect(entry!.detail).toMatchObject({ orderId: order.id, activations: 2 });
    expect(JSON.stringify(entry)).not.toContain(key);
    expect((await activate(m.publishable, { license_key: key, instance_name: "Three" })).status).toBe(201);

    const other = await merchant();
    expect(await resetActivations(other.actor, order.id)).toMatchObject({ ok: false });
  });
});

describe("credentials", () => {
  it("the publishable key answers only the license routes, and only for its own account; a rotated one stops at once", async () => {
    const a = await merchant();
    const b = await merchant();
    const keyA = await keyOf(a, (await paidOrder(a)).id);
    expect(a.publishable).toMatch(/^whp_[A-Za-z0-9]{38}$/);
    expect(await publishableKeyFor(a.tenant.id)).toBe(a.publishable);
    expect((await validate(b.publishable, { license_key: keyA })).body).toMatchObject({ valid: false, reason: "unknown_license" });
    const orders = await listOrdersRoute(new Request(`${BASE}/api/v1/orders`, { headers: { authorization: `Bearer ${a.publishable}` } }), { params: Promise.resolve({} as never) });
    expect(orders.status).toBe(401);

    const rotated = await rotatePublishableKey(a.actor);
    expect(rotated.key).not.toBe(a.publishable);
    expect(await validate(a.publishable, { license_key: keyA })).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });
    expect((await validate(rotated.key, { license_key: keyA })).body).toMatchObject({ valid: true });
    expect(await publishableKeyFor(a.tenant.id)).toBe(rotated.key);
  });

  it("a secret token needs licenses:write; with it, it activates like the publishable key", async () => {
    const m = await merchant();
    const key = await keyOf(m, (await paidOrder(m)).id);
    const reader = await createApiToken(m.actor, "reader", ["orders:read"]);
    const writer = await createApiToken(m.actor, "writer", API_SCOPES);
    if (!reader.ok || !writer.ok) throw new Error("token");
    expect(await activate(reader.token, { license_key: key, instance_name: "x" })).toMatchObject({ status: 403, body: { error: { code: "insufficient_scope" } } });
    expect((await activate(writer.token, { license_key: key, instance_name: "x" })).status).toBe(201);
  });

  it("answer bad input with 400 and a typo with 404 mistyped_license", async () => {
    const m = await merchant();
    const key = await keyOf(m, (await paidOrder(m)).id);
    const typo = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
    expect(await validate(m.publishable, { license_key: typo })).toMatchObject({ status: 200, body: { valid: false, reason: "mistyped_license" } });
    expect(await activate(m.publishable, { license_key: typo, instance_name: "x" })).toMatchObject({ status: 404, body: { error: { code: "mistyped_license" } } });
    expect(await activate(m.publishable, { license_key: key })).toMatchObject({ status: 400, body: { error: { code: "invalid_request", message: expect.stringContaining("instance_name") } } });
    expect(await deactivate(m.publishable, { license_key: key, activation_id: "nope" })).toMatchObject({ status: 400 });
  });
});

describe("throttles", () => {
  it(`count failures per client IP: past ${LICENSE_LIMITS.failuresPerIp} unknown keys that client waits (valid keys too), while another client of the same publishable key is served`, async () => {
    const m = await merchant();
    const key = await keyOf(m, (await paidOrder(m)).id);
    await startOfAFreshMinuteWindow(20);
    const attacker = `192.0.2.${Math.floor(Math.random() * 250)}`;
    // A burst at once: each is counted before it is looked up, so only the limit's worth are.
    const burst = await Promise.all(Array.from({ length: LICENSE_LIMITS.failuresPerIp + 10 }, (_, i) => validate(m.publishable, { license_key: `GUESS-${i}-${randomBase62(8)}` }, attacker)));
    expect(burst.filter((answer) => answer.status === 200 && answer.body.reason === "unknown_license")).toHaveLength(LICENSE_LIMITS.failuresPerIp);
    expect(burst.filter((answer) => answer.status === 429)).toHaveLength(10);
    const blocked = await validate(m.publishable, { license_key: key }, attacker);
    expect(blocked).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);

    expect(await validate(m.publishable, { license_key: key }, "198.51.100.200")).toMatchObject({ status: 200, body: { valid: true } });
    // Known keys give their count back: a real buyer's app validating often is never slowed by it.
    for (let i = 0; i < LICENSE_LIMITS.failuresPerIp + 5; i++) expect((await validate(m.publishable, { license_key: key }, "198.51.100.201")).status).toBe(200);
  }, 90_000);

  it(`count questions per license key, whoever asks (${LICENSE_LIMITS.perLicenseKey} a minute)`, async () => {
    const m = await merchant();
    const key = await keyOf(m, (await paidOrder(m)).id);
    const other = await keyOf(m, (await paidOrder(m)).id);
    await startOfAFreshMinuteWindow(20);
    for (let i = 0; i < LICENSE_LIMITS.perLicenseKey; i++) expect((await validate(m.publishable, { license_key: key }, `203.0.113.${i}`)).status).toBe(200);
    expect(await validate(m.publishable, { license_key: key }, "203.0.113.250")).toMatchObject({ status: 429 });
    expect((await validate(m.publishable, { license_key: other }, "203.0.113.250")).status).toBe(200);
  }, 90_000);
});

describe("npm run secrets:rotate", () => {
  it("moves the license keys sealed in stored outbound events to the new primary key", async () => {
    const m = await merchant();
    const order = await paidOrder(m);
    const key = await keyOf(m, order.id);
    const oldKey = `old${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")}`;
    const before = parseEncryptionKeys(oldKey);
    const context = { tenantId: m.tenant.id, field: "license_key" as const, rowId: order.id };
    const id = `evt_${randomBase62(24)}`;
    const payload = sealedPayload({ id, type: "order.paid", data: { id: order.id, license_key: key } }, encryptSecret(key, context, before));
    await db().insert(outboundEvents).values({ tenantId: m.tenant.id, id, type: "order.paid", orderId: order.id, payload });

    const after = parseEncryptionKeys(`new${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")},${oldKey}`);
    await rotateStoredSecrets(db(), after);
    const [row] = await db().select().from(outboundEvents).where(and(eq(outboundEvents.tenantId, m.tenant.id), eq(outboundEvents.id, id)));
    expect(row!.payload).not.toBe(payload);
    expect(row!.payload).not.toContain(key);
    const onlyNew = parseEncryptionKeys(`${after.primary.id}:${after.primary.key.toString("base64")}`);
    expect(decryptSecret(sealedKeyOf(row!.payload)!.ciphertext, context, onlyNew)).toBe(key);
  });
});
