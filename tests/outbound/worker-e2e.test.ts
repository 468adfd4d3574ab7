import { and, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { webhookDeliveries } from "@/db/schema";
import { JOBS } from "@/lib/jobs/queue";
import type { JobHandler } from "@/lib/jobs/registry";
import { JOB_HANDLERS } from "@/lib/jobs/registry";
import { startWorker, type RunningWorker } from "@/lib/jobs/worker";
import { createEndpoint } from "@/lib/outbound/endpoints";
import { ORDER_EVENT_TYPES } from "@/lib/outbound/events";
import { withTestDatabase } from "../db";
import { envelope, merchantWithOrder, paymentData, send } from "../ledger/helpers";
import { startReceiver } from "./receiver";

withTestDatabase();

/*
 * End to end through the job queue: a Whop webhook pays an order, its transaction enqueues the
 * delivery, `npm run worker`'s code (startWorker with the registry's handler) attempts it, and the
 * merchant's app receives a signed order.paid. Test files share the database in CI, so this worker
 * only works this file's tenant's jobs (others' are acknowledged untouched: no test relies on them).
 */

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let worker: RunningWorker | undefined;
const tenants = new Set<string>();

beforeAll(async () => {
  receiver = await startReceiver();
  const registered = JOB_HANDLERS[JOBS.deliverWebhook]!;
  const mineOnly: JobHandler = async (data, job) => {
    if (tenants.has(String(data.tenantId))) await registered(data, job);
  };
  worker = await startWorker({ handlers: { [JOBS.deliverWebhook]: mineOnly }, schedules: {}, pollingIntervalSeconds: 0.5, supervise: false });
});
afterAll(async () => {
  await worker?.stop({ timeoutMs: 2_000 });
  await receiver.close();
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("order change → outbox → worker → the merchant's endpoint", () => {
  it("delivers a signed order.paid with the committed order", async () => {
    const m = await merchantWithOrder();
    tenants.add(m.tenant.id);
    const created = await createEndpoint(m.actor, { url: receiver.url(`/e2e/${m.tenant.id}`), eventTypes: ORDER_EVENT_TYPES }, { allowPrivate: true });
    if (!created.ok) throw new Error(created.message);

    expect(await send(m, envelope("payment.succeeded", paymentData(m.order)))).toMatchObject({ body: { result: "recorded" }, event: { result: "applied" } });
    await until(() => receiver.received.some((request) => request.path === `/e2e/${m.tenant.id}`));
    const [request] = receiver.received.filter((r) => r.path === `/e2e/${m.tenant.id}`);
    const event = new Webhook(created.secret).verify(request!.body, request!.headers) as { id: string; type: string; data: { id: string; status: string; access: boolean } };
    expect(event).toMatchObject({ type: "order.paid", data: { id: m.order.id, status: "paid", access: true } });
    expect(request!.headers["webhook-id"]).toBe(event.id);
    await until(async () => {
      const [delivery] = await db()
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.tenantId, m.tenant.id), eq(webhookDeliveries.endpointId, created.endpoint.id)));
      return delivery?.state === "delivered";
    });
  });
});
