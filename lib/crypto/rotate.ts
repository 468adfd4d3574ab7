import { and, asc, eq, gt, isNotNull, or } from "drizzle-orm";
import type { Database } from "@/db/client";
import { tenants } from "@/db/schema";
import type { Keyring } from "./keyring";
import { DecryptionError, encryptionKeyIdOf, reencryptIfStale, type SecretField } from "./secrets";

const COLUMNS = {
  whop_api_key: tenants.whopApiKeyCiphertext,
  webhook_secret: tenants.webhookSecretCiphertext,
  webhook_secret_previous: tenants.webhookSecretPreviousCiphertext,
} as const satisfies Record<SecretField, unknown>;

const PROPERTY = {
  whop_api_key: "whopApiKeyCiphertext",
  webhook_secret: "webhookSecretCiphertext",
  webhook_secret_previous: "webhookSecretPreviousCiphertext",
} as const satisfies Record<SecretField, keyof typeof tenants.$inferSelect>;

export interface RotationReport {
  rowsScanned: number;
  rowsMoved: number;
  secretsMoved: number;
  /** Tenants with a secret that no key in ENCRYPTION_KEYS opens; left untouched. */
  undecryptable: string[];
}

/**
 * Re-encrypts every stored secret under the primary ENCRYPTION_KEYS entry, one tenant row at a
 * time (each its own short update guarded by the old ciphertext, so a concurrent key replacement
 * is never overwritten). Safe to run again: rows already on the primary key are skipped.
 */
export async function rotateStoredSecrets(database: Database, keyring: Keyring, batchSize = 200): Promise<RotationReport> {
  const report: RotationReport = { rowsScanned: 0, rowsMoved: 0, secretsMoved: 0, undecryptable: [] };
  let after = "";
  for (;;) {
    const batch = await database
      .select()
      .from(tenants)
      .where(and(gt(tenants.id, after), or(...Object.values(COLUMNS).map((column) => isNotNull(column)))))
      .orderBy(asc(tenants.id))
      .limit(batchSize);
    if (batch.length === 0) return report;

    for (const row of batch) {
      report.rowsScanned++;
      const changes: Partial<typeof tenants.$inferInsert> = {};
      const guards = [eq(tenants.id, row.id)];
      let movable = 0;
      try {
        for (const field of Object.keys(COLUMNS) as SecretField[]) {
          const stored = row[PROPERTY[field]];
          if (!stored) continue;
          const moved = reencryptIfStale(stored, { tenantId: row.id, field }, keyring);
          if (!moved) continue;
          changes[PROPERTY[field]] = moved;
          guards.push(eq(COLUMNS[field], stored));
          movable++;
        }
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        report.undecryptable.push(row.id);
        continue;
      }
      if (movable === 0) continue;
      if (changes.whopApiKeyCiphertext) changes.whopApiKeyEncryptionKeyId = encryptionKeyIdOf(changes.whopApiKeyCiphertext);
      const updated = await database.update(tenants).set(changes).where(and(...guards)).returning({ id: tenants.id });
      if (updated.length === 0) continue; // replaced meanwhile, so already under the primary key
      report.rowsMoved++;
      report.secretsMoved += movable;
    }
    after = batch[batch.length - 1]!.id;
  }
}
