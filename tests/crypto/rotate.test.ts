import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { tenants } from "@/db/schema";
import { parseEncryptionKeys } from "@/lib/crypto/keyring";
import { rotateStoredSecrets } from "@/lib/crypto/rotate";
import { decryptSecret, encryptSecret, encryptionKeyIdOf } from "@/lib/crypto/secrets";
import { newId, newPublicTenantId } from "@/lib/ids";
import { insertTenant } from "@/lib/tenants/queries";
import { withTestDatabase } from "../db";

withTestDatabase();

describe("npm run secrets:rotate", () => {
  it("moves every secret to the new primary key, reports the count, and is a no-op the second time", async () => {
    const oldKey = `old${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")}`;
    const before = parseEncryptionKeys(oldKey);
    const ids = [newId("ten"), newId("ten")];
    for (const id of ids) {
      const apiKey = encryptSecret(`apik_secret_for_${id}`, { tenantId: id, field: "whop_api_key" }, before);
      await db().transaction((tx) =>
        insertTenant(tx, {
          id,
          publicId: newPublicTenantId(),
          whopApiKeyCiphertext: apiKey,
          whopApiKeyEncryptionKeyId: encryptionKeyIdOf(apiKey),
          webhookSecretCiphertext: encryptSecret(`ws_secret_for_${id}`, { tenantId: id, field: "webhook_secret" }, before),
        }),
      );
    }

    const after = parseEncryptionKeys(`new${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")},${oldKey}`);
    const report = await rotateStoredSecrets(db(), after);
    // Rows of other test files, under the test run's own key, are reported and left alone.
    expect(report.rowsMoved).toBe(2);
    expect(report.secretsMoved).toBe(4);

    const onlyNew = parseEncryptionKeys(`${after.primary.id}:${after.primary.key.toString("base64")}`);
    for (const id of ids) {
      const [row] = await db().select().from(tenants).where(eq(tenants.id, id));
      expect(row!.whopApiKeyEncryptionKeyId).toBe(after.primary.id);
      expect(decryptSecret(row!.whopApiKeyCiphertext!, { tenantId: id, field: "whop_api_key" }, onlyNew)).toBe(`apik_secret_for_${id}`);
      expect(decryptSecret(row!.webhookSecretCiphertext!, { tenantId: id, field: "webhook_secret" }, onlyNew)).toBe(`ws_secret_for_${id}`);
    }

    const again = await rotateStoredSecrets(db(), after);
    expect(again.secretsMoved).toBe(0);
  });

  it("reports rows that no configured key opens and leaves them untouched", async () => {
    const lost = parseEncryptionKeys(`lost:${randomBytes(32).toString("base64")}`);
    const id = newId("ten");
    const ciphertext = encryptSecret("apik_orphaned_secret_value", { tenantId: id, field: "whop_api_key" }, lost);
    await db().transaction((tx) => insertTenant(tx, { id, publicId: newPublicTenantId(), whopApiKeyCiphertext: ciphertext }));

    const report = await rotateStoredSecrets(db(), parseEncryptionKeys(`other:${randomBytes(32).toString("base64")}`));
    expect(report.undecryptable).toContain(id);
    const [row] = await db().select().from(tenants).where(eq(tenants.id, id));
    expect(row!.whopApiKeyCiphertext).toBe(ciphertext);
  });
});
