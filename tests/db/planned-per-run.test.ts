import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db, plannedPerRun, readSnapshot, selectRows } from "@/db/client";
import { withTestDatabase } from "../db";

/*
 * Postgres's default plan cache for every statement (a generic plan once it costs no more: the hot
 * lookups by key are not planned on every run), and per-run planning only inside `plannedPerRun`,
 * for that transaction alone.
 */

withTestDatabase();

const mode = sql`select current_setting('plan_cache_mode') as mode`;

describe("plannedPerRun", () => {
  it("plans its read for each run's parameters, and nothing else is", async () => {
    expect(await selectRows(mode)).toEqual([{ mode: "auto" }]);
    expect(await plannedPerRun(db(), (tx) => selectRows(mode, tx))).toEqual([{ mode: "force_custom_plan" }]);
    // The setting ended with the read's transaction, whichever pooled connection comes next.
    const after = await Promise.all(Array.from({ length: 8 }, () => selectRows<{ mode: string }>(mode)));
    expect(after.flat().map((row) => row.mode)).toEqual(Array(8).fill("auto"));
  });

  it("inside an open transaction, holds until that transaction ends", async () => {
    const modes = await readSnapshot(async (tx) => {
      const before = await selectRows<{ mode: string }>(mode, tx);
      const inside = await plannedPerRun(tx, (same) => selectRows<{ mode: string }>(mode, same));
      return [before[0]!.mode, inside[0]!.mode];
    });
    expect(modes).toEqual(["auto", "force_custom_plan"]);
    expect(await selectRows(mode)).toEqual([{ mode: "auto" }]);
  });
});
