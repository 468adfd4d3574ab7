import { and, eq, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { db, type Transaction } from "@/db/client";
import { accounts, accountTenants, tenantPublicIds, tenants, type Environment, type Tenant } from "@/db/schema";
import { newId, newPublicTenantId } from "@/lib/ids";

export function isConnected(tenant: Tenant): boolean {
  return tenant.whopCompanyId !== null && tenant.whopApiKeyCiphertext !== null;
}

export async function getTenantById(id: string): Promise<Tenant | undefined> {
  const [tenant] = await db().select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return tenant;
}

type TenantInsert = Omit<typeof tenants.$inferInsert, "accountId"> & { accountId?: string };

/**
 * Inserts tenants with their tenant_public_ids rows (what makes a public id unique and findable)
 * and account_tenants rows (what keeps an account to one tenant per environment, and how a session
 * finds it), in the caller's transaction: every tenant is created through here. A tenant given no
 * account gets one of its own (its id is the tenant's with acc_ for ten_, as the migration gave
 * existing tenants), for server-side callers that make tenants in bulk. Live unless told otherwise.
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
  await tx.insert(accountTenants).values(rows.map((tenant) => ({ accountId: tenant.accountId, environment: tenant.environment, tenantId: tenant.id })));
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

/**
 * The account's tenant in `environment`, created (not connected yet) the first time the account
 * opens that environment: a new account has its Live tenant from sign-up and gets its Test one when
 * someone first switches to Test. The account row is locked, so two first switches make one tenant.
 */
export async function openEnvironment(tx: Transaction, accountId: string, environment: Environment): Promise<Tenant | undefined> {
  const [account] = await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for("update");
  if (!account) return undefined;
  const [existing] = await tx
    .select({ tenant: tenants })
    .from(accountTenants)
    .innerJoin(tenants, eq(tenants.id, accountTenants.tenantId))
    .where(and(eq(accountTenants.accountId, accountId), eq(accountTenants.environment, environment)));
  if (existing) return existing.tenant;
  return insertTenant(tx, { id: newId("ten"), publicId: newPublicTenantId(), accountId, environment });
}

/**
 * An account's name for lists of accounts (the switcher, invitations, two-factor notices): the
 * company its Live tenant is connected to, else its Test tenant's; null before either is connected.
 */
export function accountNameOf(accountId: AnyColumn | SQL): SQL<string | null> {
  return sql<string | null>`(select ${tenants.whopCompanyTitle} from ${tenants} where ${tenants.accountId} = ${accountId} and ${tenants.whopCompanyTitle} is not null order by ${tenants.environment} limit 1)`;
}
