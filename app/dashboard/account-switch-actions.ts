"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { requireSignedIn } from "@/lib/auth/session";
import { switchSessionAccount } from "@/lib/auth/sessions";

/**
 * The header's account switcher: the session moves to another account the user belongs to (the
 * session row checks the membership); anything else changes nothing. Either way, back to the
 * overview of the account the session now works in.
 */
export async function switchAccountAction(formData: FormData): Promise<void> {
  const live = await requireSignedIn();
  const parsed = z.object({ accountId: z.string().trim().min(1).max(64) }).safeParse(Object.fromEntries(formData));
  if (parsed.success && parsed.data.accountId !== live.account.id) {
    await switchSessionAccount({ sessionId: live.session.id, userId: live.user.id }, parsed.data.accountId);
  }
  redirect("/dashboard");
}
