/**
 * `npm run secrets:rotate`: after putting a new key first in ENCRYPTION_KEYS (keep the old ones
 * after it), re-encrypt every stored secret under it. Then the old keys can be removed.
 */
import { closeDatabase, db } from "@/db/client";
import { rotateStoredSecrets } from "@/lib/crypto/rotate";
import { ConfigError, env } from "@/lib/env";

try {
  const { encryptionKeys } = env();
  const report = await rotateStoredSecrets(db(), encryptionKeys);
  console.log(
    `Re-encrypted ${report.secretsMoved} secret(s) in ${report.rowsMoved} row(s) under key "${encryptionKeys.primary.id}" (${report.rowsScanned} row(s) with secrets checked).`,
  );
  if (report.undecryptable.length > 0) {
    console.error(
      `${report.undecryptable.length} tenant(s) hold a secret that no key in ENCRYPTION_KEYS opens (left untouched): ${report.undecryptable.join(", ")}`,
    );
    process.exitCode = 1;
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Rotation failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDatabase();
}
