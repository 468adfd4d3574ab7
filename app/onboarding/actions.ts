"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { clientIp, requireAccount } from "@/lib/auth/session";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { isConnected } from "@/lib/tenants/queries";

const keySchema = z.object({ apiKey: z.string().max(4096, "That is far too long to be a Whop API key.") });

export const connectAction = validatedAction(keySchema, async ({ apiKey }) => {
  const { user, tenant, sessionId } = await requireAccount();
  if (isConnected(tenant)) redirect("/dashboard");
  const result = await connectWhopKey({ tenant, actorUserId: user.id, pastedKey: apiKey, ip: await clientIp(), sessionId });
  if (!result.ok) return { fieldErrors: { apiKey: result.message } };
  return { success: `Connected to ${result.company.title} (${result.company.id}).` };
});
