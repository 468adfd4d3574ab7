import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { tenants, type Tenant } from "@/db/schema";

export function isConnected(tenant: Tenant): boolean {
  return tenant.whopCompanyId !== null && tenant.whopApiKeyCiphertext !== null;
}

export async function getTenantById(id: string): Promise<Tenant | undefined> {
  const [tenant] = await db().select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return tenant;
}
