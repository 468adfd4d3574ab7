import { eq } from "drizzle-orm";
import { db, type Transaction } from "@/db/client";
import { accounts, tenantPublicIds, tenants, type Tenant } from "@/db/schema";

export function isConnected(tenant: Tenant): boolean {
  return tenant.whopCompanyId !== null && tenant.whopApiKeyCiphertext !== null;
}

export async function getTenantById(id: string): Promise<Tenant | undefined> {
  const [tenant] = await db().select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return tenant;
}

type TenantInsert = Omit<typeof tenants.$inferInsert, "accountId"> & { accountId?: string };

/**
 * Inserts tenants and their tenant_public_ids rows (what makes a public id unique and findable),
 * in the caller's transaction: every tenant is created through here. A tenant given no account
 * gets one of its own (its id is the tenant's with acc_ for ten_, as the migration gave existing
 * tenants), for server-side callers that make tenants in bulk.
 */
export async function insertTenants(tx: Transaction, values: TenantInsert[]): Promise<Tenant[]> {
  if (values.length === 0) return [];
  const accountOf = (id: string) => `acc_${id.replace(/^ten_/, "")}`;
  const unowned = values.filter((value) => value.accountId === undefined);
  if (unowned.length > 0) await tx.insert(accounts).values(unowned.map((value) => ({ id: accountOf(value.id) })));
  const rows = await tx
    .insert(tenants)
    .values(values.map((value) => ({ ...value, accountId: value.accountId ?? accountOf(value.id) })))
    .returning();
  await tx.insert(tenantPublicIds).values(rows.map((tenant) => ({ publicId: tenant.publicId, tenantId: tenant.id })));
  return rows;
}

export async function insertTenant(tx: Transaction, values: TenantInsert): Promise<Tenant> {
  return (await insertTenants(tx, [values]))[0]!;
}

/** The tenant a webhook URL names, through the public-id lookup: one statement. */
export async function getTenantByPublicId(publicId: string): Promise<Tenant | undefined> {
  const [row] = await db()
    .select({ tenant: tenants })
    .from(tenantPublicIds)
    .innerJoin(tenants, eq(tenants.id, tenantPublicIds.tenantId))
    .where(eq(tenantPublicIds.publicId, publicId))
    .limit(1);
  return row?.tenant;
}
