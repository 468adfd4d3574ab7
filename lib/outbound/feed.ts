import { and, asc, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { db, plannedPerRun } from "@/db/client";
import { outboundEvents } from "@/db/schema";
import { ORDER_EVENT_TYPES, TEST_EVENT_TYPE } from "./events";
import { openPayload } from "./payload";

/*
 * GET /api/v1/events: the same events the endpoints receive, oldest first after a cursor, for an
 * app catching up after downtime. An event is listed only once every transaction that began before
 * it has ended (its transaction id is below the snapshot's xmin), so a page never skips an event
 * that commits later with an earlier position: what comes after `after` tomorrow came after it today.
 */

export const eventListQuerySchema = z.object({
  after: z
    .string()
    .regex(/^evt_[A-Za-z0-9]{24}$/, "must be an event id such as evt_… (the last one you processed)")
    .optional(),
  limit: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(100, "must be at most 100").default(25),
  type: z.enum(ORDER_EVENT_TYPES, { message: `must be one of ${ORDER_EVENT_TYPES.join(", ")}` }).optional(),
});
export type EventListQuery = z.output<typeof eventListQuerySchema>;

export type EventPage = { ok: true; page: { object: "list"; data: unknown[]; next_cursor: string | null } } | { ok: false; reason: "unknown_cursor" };

export async function listEvents(tenantId: string, query: EventListQuery): Promise<EventPage> {
  let position = sql`true`;
  if (query.after) {
    const [cursor] = await db()
      .select({ txid: outboundEvents.txid, seq: outboundEvents.seq })
      .from(outboundEvents)
      .where(and(eq(outboundEvents.tenantId, tenantId), eq(outboundEvents.id, query.after)));
    if (!cursor) return { ok: false, reason: "unknown_cursor" };
    position = sql`(${outboundEvents.txid}, ${outboundEvents.seq}) > (${cursor.txid}::xid8, ${cursor.seq}::bigint)`;
  }
  const rows = await plannedPerRun(db(), (tx) =>
    tx
      .select({ id: outboundEvents.id, payload: outboundEvents.payload })
      .from(outboundEvents)
      .where(
        and(
          eq(outboundEvents.tenantId, tenantId),
          ne(outboundEvents.type, TEST_EVENT_TYPE),
          query.type ? eq(outboundEvents.type, query.type) : undefined,
          position,
          sql`${outboundEvents.txid} < pg_snapshot_xmin(pg_current_snapshot())`,
        ),
      )
      .orderBy(asc(outboundEvents.txid), asc(outboundEvents.seq))
      .limit(query.limit + 1),
  );
  const page = rows.slice(0, query.limit);
  return {
    ok: true,
    page: {
      object: "list",
      data: page.map((row) => JSON.parse(openPayload(tenantId, row.payload)) as unknown),
      next_cursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
    },
  };
}
