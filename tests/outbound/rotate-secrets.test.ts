import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { webhookEndpoints } from "@/db/schema";
import { parseEncryptionKeys } from "@/lib/crypto/keyring";
import { rotateStoredSecrets } from "@/lib/crypto/rotate";
import { decryptSecret, encryptSecret, encryptionKeyIdOf } from "@/lib/crypto/secrets";
import { randomBase62 } from "@/lib/ids";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";

withTestDatabase();

describe("npm run secrets:rotate and endpoint signing secrets", () => {
  it("moves an endpoint's current and previous secret to the new primary key", async () => {
    const oldKey = `old${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")}`;
    const before = parseEncryptionKeys(oldKey);
    const m = await connectedMerchant();
    const id = `we_${randomBase62(20)}`;
    const current = `whsec_${randomBytes(32).toString("base64")}`;
    const previous = `whsec_${randomBytes(32).toString("base64")}`;
    await db()
      .insert(webhookEndpoints)
      .values({
        tenantId: m.tenant.id,
        id,
        url: "https://example.com/hook",
        eventTypes: ["order.paid"],
        secretCiphertext: encryptSecret(current, { tenantId: m.tenant.id, field: "outbound_webhook_secret", rowId: id }, before),
        previousSecretCiphertext: encryptSecret(previous, { tenantId: m.tenant.id, field: "outbound_webhook_secret_previous", rowId: id }, before),
        previousSecretExpiresAt: new Date(Date.now() + 3600_000),
      });

    const after = parseEncryptionKeys(`new${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")},${oldKey}`);
    const report = await rotateStoredSecrets(db(), after);
    expect(report.secretsMoved).toBeGreaterThanOrEqual(2);
    const [row] = await db().select().from(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, m.tenant.id), eq(webhookEndpoints.id, id)));
    expect(encryptionKeyIdOf(row!.secretCiphertext)).toBe(after.primary.id);
    expect(encryptionKeyIdOf(row!.previousSecretCiphertext!)).toBe(after.primary.id);
    const onlyNew = parseEncryptionKeys(`${after.primary.id}:${after.primary.key.toString("base64")}`);
    expect(decryptSecret(row!.secretCiphertext, { tenantId: m.tenant.id, field: "outbound_webhook_secret", rowId: id }, onlyNew)).toBe(current);
    expect(decryptSecret(row!.previousSecretCiphertext!, { tenantId: m.tenant.id, field: "outbound_webhook_secret_previous", rowId: id }, onlyNew)).toBe(previous);
    // Bound to its row: the same ciphertext does not open for another endpoint.
    expect(() => decryptSecret(row!.secretCiphertext, { tenantId: m.tenant.id, field: "outbound_webhook_secret", rowId: "we_other" }, onlyNew)).toThrow();
  });
});
