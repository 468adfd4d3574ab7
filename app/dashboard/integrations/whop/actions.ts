"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { clientIp, requireAccount } from "@/lib/auth/session";
import { connectWhopKey } from "@/lib/tenants/connect-whop";

const keySchema = z.object({ apiKey: z.string().max(4096, "That is far too long to be a Whop API key.") });

export const replaceKeyAction = validatedAction(keySchema, async ({ apiKey }) => {
  const { user, tenant } = await requireAccount();
  const result = await connectWhopKey({ tenant, actorUserId: user.id, pastedKey: apiKey, ip: await clientIp() });
  if (!result.ok) return { fieldErrors: { apiKey: `${result.message} Your current key is still in use.` } };
  revalidatePath("/dashboard", "layout");
  return { success: `Key replaced. Still connected to ${result.company.title} (${result.company.id}).` };
});
