"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { actorAction } from "@/lib/auth/action";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { isConnected } from "@/lib/tenants/queries";

const keySchema = z.object({ apiKey: z.string().max(4096, "That is far too long to be a Whop API key.") });

export const connectAction = actorAction(keySchema, async (actor, { apiKey }) => {
  if (isConnected(actor.tenant)) redirect("/dashboard");
  const result = await connectWhopKey(actor, apiKey);
  if (!result.ok) return { fieldErrors: { apiKey: result.message } };
  return { success: `Connected to ${result.company.title} (${result.company.id}).` };
});
