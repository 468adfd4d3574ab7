import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { selectRows } from "@/db/client";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { validateLicense } from "@/lib/licenses/licenses";
import { licenseKeyDigest as hashLicenseKey } from "@/lib/licenses/keys";
import { scrubPayload } from "@/lib/ledger/scrub";
import { withTestDatabase } from "../db";
import { envelope, eventsOf, membershipData, merchantWithOrder, orderNow, paymentData, send } from "./helpers";

withTestDatabase();

/** Every row of every table in the schema, as text: what a database dump would hold. */
async function dumpDatabase(): Promise<string> {
  const tables = await selectRows<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await selectRows<{ row: string }>(sql`select t::text as row from ${sql.identifier(table_name)} t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join("\n");
}

describe("scrubbed before storing", () => {
  it("a license key (and any secret-looking field) never reaches the database in the clear; the order keeps it encrypted with its digest", async () => {
    const m = await merchantWithOrder();
    const licenseKey = `LIC-${"Q7nV2xKc9LmR4tWp8ZsY".slice(0, 16)}-9F3A`;
    const leakedApiKey = "apik_LeakedByAMistake0123456789";
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    await send(m, envelope("membership.activated", membershipData(m.order, { license_key: licenseKey, notes: { client_secret: "cs_live_abcdefghijkl", other: leakedApiKey } })));

    const dump = await dumpDatabase();
    expect(dump).toContain(m.order.id); // the dump does see this tenant's rows
    expect(dump).not.toContain(licenseKey);
    expect(dump).not.toContain(licenseKey.slice(0, 12));
    expect(dump).not.toContain(leakedApiKey);
    expect(dump).not.toContain("cs_live_abcdefghijkl");

    const stored = (await eventsOf(m.tenant)).find((e) => e.eventType === "membership.activated")!;
    const payload = JSON.parse(stored.payload) as { data: { license_key: string; notes: Record<string, string>; id: string } };
    expect(payload.data.license_key).toBe("[redacted …9F3A]");
    expect(payload.data.notes).toEqual({ client_secret: "[redacted …ijkl]", other: "[redacted …6789]" });
    expect(payload.data.id).toBe(`mem_${m.order.id.slice(4, 18)}`);

    const order = await orderNow(m.order);
    expect(order).toMatchObject({ licenseKeyHash: hashLicenseKey(licenseKey), licenseKeyHint: "9F3A" });
    expect(decryptSecret(order.licenseKeyCiphertext!, { tenantId: m.tenant.id, field: "license_key", rowId: order.id }, env().encryptionKeys)).toBe(licenseKey);
    const caller = { tenantId: m.tenant.id, credential: { kind: "publishable" as const, id: m.tenant.id }, ip: "203.0.113.9" };
    expect(await validateLicense(caller, { license_key: licenseKey })).toMatchObject({ valid: true });
  });

  it("leaves ordinary fields alone and does not touch its input", () => {
    const input = { id: "pay_1", total: 40, user: { email: "b@example.com" }, webhook_secret: "ws_abcdefghijklmnop", access_token: ["abc"] };
    expect(scrubPayload(input)).toEqual({ id: "pay_1", total: 40, user: { email: "b@example.com" }, webhook_secret: "[redacted …mnop]", access_token: ["[redacted]"] });
    expect(input.webhook_secret).toBe("ws_abcdefghijklmnop");
  });
});
