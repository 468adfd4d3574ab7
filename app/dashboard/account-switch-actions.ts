"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { requireSignedIn } from "@/lib/auth/session";
import { switchSessionAccount, switchSessionEnvironment } from "@/lib/auth/sessions";

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

const switchEnvironmentSchema = z.object({ environment: z.enum(["live", "test"]), next: z.enum(["/dashboard", "/onboarding"]).catch("/dashboard") });

/**
 * **Switch to Test** / **Switch to Live**: the session moves to the signed-in account's other
 * environment (its Test tenant is created the first time); input that does not parse changes
 * nothing. Then to the overview, or back to the wizard it was pressed on.
 */
export async function switchEnvironmentAction(formData: FormData): Promise<void> {
  const live = await requireSignedIn();
  const parsed = switchEnvironmentSchema.safeParse(Object.fromEntries(formData));
  if (!parsed.success) redirect("/dashboard");
  if (parsed.data.environment !== live.session.environment) {
    await switchSessionEnvironment({ sessionId: live.session.id, userId: live.user.id }, live.account.id, parsed.data.environment);
    // Every page the browser holds shows the other environment now, the header's layout included.
    revalidatePath("/", "layout");
  }
  redirect(parsed.data.next);
}
