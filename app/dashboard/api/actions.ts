"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { createApiToken, revokeApiToken, tokenNameSchema } from "@/lib/api/tokens";
import { clientIp, requireAccount } from "@/lib/auth/session";

// Both act on the session's account only: the token id is looked up within it.

export const createApiTokenAction = validatedAction(z.object({ name: tokenNameSchema }), async ({ name }) => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await createApiToken({ tenantId: tenant.id, userId: user.id, ip: await clientIp(), sessionId }, name);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  revalidatePath("/dashboard/api");
  return { success: `Token “${name}” created. Copy it now: it is shown only once.`, reveal: result.token };
});

export const revokeApiTokenAction = validatedAction(z.object({ tokenId: z.string().trim().min(1).max(64) }), async ({ tokenId }) => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await revokeApiToken({ tenantId: tenant.id, userId: user.id, ip: await clientIp(), sessionId }, tokenId);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  revalidatePath("/dashboard/api");
  return { success: `Token “${result.row.name}” revoked: apps using it now get 401.` };
});
