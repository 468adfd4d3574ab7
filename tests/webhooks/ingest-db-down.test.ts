import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { randomBase62 } from "@/lib/ids";

/*
 * The database failing before a delivery is recorded: Whop must get a 503 (so it retries) and
 * nothing is recorded. Failing in the middle of applying it, after the answer: the event stays
 * recorded (nothing half-applied), Whop's retry is a duplicate, and the sweep applies it.
 */
const control = vi.hoisted(() => ({ mode: "ok" as "ok" | "down" | "fails-mid-transaction" }));

vi.mock("@/db/client", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/db/client")>();
  const bound = <T extends object>(target: T, prop: string | symbol) => {
    const value = Reflect.get(target, prop) as unknown;
    return typeof value === "function" ? value.bind(target) : value;
  };
  return {
    ...real,
    db: () => {
      const database = real.db();
      if (control.mode === "down") throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      if (control.mode === "ok") return database;
      return new Proxy(database, {
        get(target, prop) {
          if (prop !== "transaction") return bound(target, prop);
          return (work: (tx: unknown) => Promise<unknown>) =>
            target.transaction((tx) =>
              work(
                new Proxy(tx, {
                  get(innerTarget, innerProp) {
                    if (innerProp === "update") throw new Error("terminating connection due to administrator command");
                    return bound(innerTarget, innerProp);
                  },
                }),
              ),
            );
        },
      });
    },
  };
});

const { POST } = await import("@/app/api/webhooks/whop/[tenantId]/route");
const { db } = await import("@/db/client");
const { orders, webhookEvents } = await import("@/db/schema");
const { withTestDatabase } = await import("../db");
const { afterResponseSettled } = await import("@/lib/http/after-response");
const { applyRecordedEvents } = await import("@/lib/ledger/apply-recorded");
const { connectedMerchant, fixtureItem, fixtureOrder, signStandard, withWebhookSecret } = await import("../fixtures");

withTestDatabase();

describe("database unavailable during a delivery", () => {
  it("answers 503 and records nothing while it is down; an apply that fails midway is left recorded and applied by the sweep", async () => {
    const { tenant: connected } = await connectedMerchant();
    const { tenant, secret } = await withWebhookSecret(connected);
    const order = await fixtureOrder(tenant, await fixtureItem(tenant));
    const body = JSON.stringify({
      id: `msg_${randomBase62(24)}`,
      api_version: "v1",
      type: "payment.succeeded",
      timestamp: new Date().toISOString(),
      data: { id: "pay_DbDownPayment0", total: 29.99, currency: "usd", status: "paid", metadata: { order_id: order.id } },
    });
    const headers = signStandard(secret, body);
    const deliver = () =>
      POST(new Request(`http://localhost/api/webhooks/whop/${tenant.publicId}`, { method: "POST", body, headers }), {
        params: Promise.resolve({ tenantId: tenant.publicId }),
      });
    const recorded = async () => db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenant.id));
    const status = async () => (await db().select().from(orders).where(eq(orders.id, order.id)))[0]!.status;

    control.mode = "down";
    const down = await deliver();
    control.mode = "ok";
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("10");
    expect(await recorded()).toEqual([]);

    control.mode = "fails-mid-transaction";
    const midway = await deliver();
    await afterResponseSettled();
    control.mode = "ok";
    expect(midway.status).toBe(200);
    expect(await midway.json()).toEqual({ ok: true, result: "recorded" });
    expect(await recorded()).toMatchObject([{ appliedAt: null }]);
    expect(await status()).toBe("pending");

    const retry = await deliver();
    await afterResponseSettled();
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ ok: true, result: "duplicate" });
    expect(await status()).toBe("pending");

    expect(await applyRecordedEvents({ olderThanMs: 0, tenantId: tenant.id })).toEqual({ applied: 1, skipped: 0 });
    expect(await recorded()).toMatchObject([{ result: "applied", appliedAt: expect.any(Date), duplicates: 1 }]);
    expect(await status()).toBe("paid");
  });
});
