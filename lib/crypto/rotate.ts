import { and, asc, eq, gt, isNotNull, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { orders, outboundEvents, tenants, userTwoFactor, webhookEndpoints } from "@/db/schema";
import { sealedKeyOf } from "@/lib/outbound/payload";
import type { Keyring } from "./keyring";
import { decryptSecret, DecryptionError, encryptionKeyIdOf, encryptSecret, reencryptIfStale, type SecretField } from "./secrets";
import { secretContext } from "@/lib/auth/second-factor";

/** The secrets a tenant row holds; buyers' license keys live on their orders, endpoint signing secrets on their endpoints, TOTP secrets in user_two_factor. */
type TenantSecretField = Exclude<SecretField, "license_key" | "outbound_webhook_secret" | "outbound_webhook_secret_previous" | "totp_secret">;

const COLUMNS = {
  whop_api_key: tenants.whopApiKeyCiphertext,
  webhook_secret: tenants.webhookSecretCiphertext,
  webhook_secret_previous: tenants.webhookSecretPreviousCiphertext,
} as const satisfies Record<TenantSecretField, unknown>;

const PROPERTY = {
  whop_api_key: "whopApiKeyCiphertext",
  webhook_secret: "webhookSecretCiphertext",
  webhook_secret_previous: "webhookSecretPreviousCiphertext",
} as const satisfies Record<TenantSecretField, keyof typeof tenants.$inferSelect>;

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
    if (batch.length === 0) break;

    for (const row of batch) {
      report.rowsScanned++;
      const changes: Partial<typeof tenants.$inferInsert> = {};
      const guards = [eq(tenants.id, row.id)];
      let movable = 0;
      try {
        for (const field of Object.keys(COLUMNS) as TenantSecretField[]) {
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
  await rotateLicenseKeys(database, keyring, batchSize, report);
  await rotateSealedEventKeys(database, keyring, batchSize, report);
  await rotateEndpointSecrets(database, keyring, batchSize, report);
  await rotateTotpSecrets(database, keyring, batchSize, report);
  return report;
}

const UNREADABLE = Symbol("unreadable");

/**
 * Runs `reencrypt` for one row; a secret no configured key opens marks its tenant undecryptable
 * (once) and answers UNREADABLE, so the caller skips the row. Any other error is thrown.
 */
function openOrFlag<T>(report: RotationReport, tenantId: string, reencrypt: () => T): T | typeof UNREADABLE {
  try {
    return reencrypt();
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    if (!report.undecryptable.includes(tenantId)) report.undecryptable.push(tenantId);
    return UNREADABLE;
  }
}

/** Buyers' license keys, one order row at a time, guarded like the tenant secrets. */
async function rotateLicenseKeys(database: Database, keyring: Keyring, batchSize: number, report: RotationReport): Promise<void> {
  let after = { tenantId: "", id: "" };
  for (;;) {
    const batch = await database
      .select({ tenantId: orders.tenantId, id: orders.id, stored: orders.licenseKeyCiphertext })
      .from(orders)
      .where(and(isNotNull(orders.licenseKeyCiphertext), sql`(${orders.tenantId}, ${orders.id}) > (${after.tenantId}, ${after.id})`))
      .orderBy(asc(orders.tenantId), asc(orders.id))
      .limit(batchSize);
    if (batch.length === 0) return;
    for (const row of batch) {
      report.rowsScanned++;
      const moved = openOrFlag(report, row.tenantId, () => reencryptIfStale(row.stored!, { tenantId: row.tenantId, field: "license_key", rowId: row.id }, keyring));
      if (moved === UNREADABLE || !moved) continue;
      const updated = await database
        .update(orders)
        .set({ licenseKeyCiphertext: moved })
        .where(and(eq(orders.tenantId, row.tenantId), eq(orders.id, row.id), eq(orders.licenseKeyCiphertext, row.stored!)))
        .returning({ id: orders.id });
      if (updated.length === 0) continue;
      report.rowsMoved++;
      report.secretsMoved++;
    }
    const last = batch[batch.length - 1]!;
    after = { tenantId: last.tenantId, id: last.id };
  }
}

/** The license keys sealed in stored outbound events (lib/outbound/payload.ts), one event row at a time. */
async function rotateSealedEventKeys(database: Database, keyring: Keyring, batchSize: number, report: RotationReport): Promise<void> {
  let after = { tenantId: "", id: "" };
  for (;;) {
    const batch = await database
      .select({ tenantId: outboundEvents.tenantId, id: outboundEvents.id, payload: outboundEvents.payload })
      .from(outboundEvents)
      .where(and(sql`${outboundEvents.payload} like '%"license_key":"sealed:%'`, sql`(${outboundEvents.tenantId}, ${outboundEvents.id}) > (${after.tenantId}, ${after.id})`))
      .orderBy(asc(outboundEvents.tenantId), asc(outboundEvents.id))
      .limit(batchSize);
    if (batch.length === 0) return;
    for (const row of batch) {
      report.rowsScanned++;
      const sealed = sealedKeyOf(row.payload);
      if (!sealed) continue;
      const moved = openOrFlag(report, row.tenantId, () => reencryptIfStale(sealed.ciphertext, { tenantId: row.tenantId, field: "license_key", rowId: sealed.orderId }, keyring));
      if (moved === UNREADABLE || !moved) continue;
      const updated = await database
        .update(outboundEvents)
        .set({ payload: sealed.replace(moved) })
        .where(and(eq(outboundEvents.tenantId, row.tenantId), eq(outboundEvents.id, row.id), eq(outboundEvents.payload, row.payload)))
        .returning({ id: outboundEvents.id });
      if (updated.length === 0) continue;
      report.rowsMoved++;
      report.secretsMoved++;
    }
    const last = batch[batch.length - 1]!;
    after = { tenantId: last.tenantId, id: last.id };
  }
}

/** The signing secrets of the merchants' webhook endpoints (current and previous), one endpoint row at a time. */
async function rotateEndpointSecrets(database: Database, keyring: Keyring, batchSize: number, report: RotationReport): Promise<void> {
  let after = { tenantId: "", id: "" };
  for (;;) {
    const batch = await database
      .select({ tenantId: webhookEndpoints.tenantId, id: webhookEndpoints.id, current: webhookEndpoints.secretCiphertext, previous: webhookEndpoints.previousSecretCiphertext })
      .from(webhookEndpoints)
      .where(sql`(${webhookEndpoints.tenantId}, ${webhookEndpoints.id}) > (${after.tenantId}, ${after.id})`)
      .orderBy(asc(webhookEndpoints.tenantId), asc(webhookEndpoints.id))
      .limit(batchSize);
    if (batch.length === 0) return;
    for (const row of batch) {
      report.rowsScanned++;
      const opened = openOrFlag(report, row.tenantId, () => ({
        current: reencryptIfStale(row.current, { tenantId: row.tenantId, field: "outbound_webhook_secret", rowId: row.id }, keyring),
        previous: row.previous ? reencryptIfStale(row.previous, { tenantId: row.tenantId, field: "outbound_webhook_secret_previous", rowId: row.id }, keyring) : undefined,
      }));
      if (opened === UNREADABLE) continue;
      const { current, previous } = opened;
      if (!current && !previous) continue;
      const guards = [eq(webhookEndpoints.tenantId, row.tenantId), eq(webhookEndpoints.id, row.id), eq(webhookEndpoints.secretCiphertext, row.current)];
      if (row.previous) guards.push(eq(webhookEndpoints.previousSecretCiphertext, row.previous));
      const updated = await database
        .update(webhookEndpoints)
        .set({ ...(current ? { secretCiphertext: current } : {}), ...(previous ? { previousSecretCiphertext: previous } : {}) })
        .where(and(...guards))
        .returning({ id: webhookEndpoints.id });
      if (updated.length === 0) continue; // rotated by the merchant meanwhile
      report.rowsMoved++;
      report.secretsMoved += (current ? 1 : 0) + (previous ? 1 : 0);
    }
    const last = batch[batch.length - 1]!;
    after = { tenantId: last.tenantId, id: last.id };
  }
}

/**
 * Users' TOTP secrets (enabled or pending), one user_two_factor row at a time, guarded by the old
 * ciphertext. A secret still bound to the tenant it was sealed under (before users had accounts of
 * several) is re-sealed bound to its user.
 */
async function rotateTotpSecrets(database: Database, keyring: Keyring, batchSize: number, report: RotationReport): Promise<void> {
  let after = "";
  for (;;) {
    const batch = await database
      .select({ userId: userTwoFactor.userId, sealedTenantId: userTwoFactor.sealedTenantId, stored: userTwoFactor.secretCiphertext })
      .from(userTwoFactor)
      .where(gt(userTwoFactor.userId, after))
      .orderBy(asc(userTwoFactor.userId))
      .limit(batchSize);
    if (batch.length === 0) return;
    for (const row of batch) {
      report.rowsScanned++;
      const user = { userId: row.userId };
      const moved = openOrFlag(report, row.sealedTenantId ?? `user ${row.userId}`, () =>
        row.sealedTenantId === null
          ? reencryptIfStale(row.stored, secretContext(user), keyring)
          : encryptSecret(decryptSecret(row.stored, secretContext(user, row.sealedTenantId), keyring), secretContext(user), keyring),
      );
      if (moved === UNREADABLE || !moved) continue;
      const updated = await database
        .update(userTwoFactor)
        .set({ secretCiphertext: moved, sealedTenantId: null })
        .where(and(eq(userTwoFactor.userId, row.userId), eq(userTwoFactor.secretCiphertext, row.stored)))
        .returning({ userId: userTwoFactor.userId });
      if (updated.length === 0) continue; // set up again meanwhile, under the primary key
      report.rowsMoved++;
      report.secretsMoved++;
    }
    after = batch[batch.length - 1]!.userId;
  }
}
