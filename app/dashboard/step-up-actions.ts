"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { actorAction } from "@/lib/auth/action";
import { confirmIdentity } from "@/lib/auth/step-up";

/** **Confirm it's you** (components/confirm-its-you.tsx): the password, or a code when two-factor is on; for the session's own account. */
export const confirmItsYouAction = actorAction(
  z.object({ secret: z.string().trim().min(1, "Enter it to confirm.").max(256, "That is not right.") }),
  async (actor, { secret }) => {
    if (!actor.sessionId) redirect("/login");
    const result = await confirmIdentity({ userId: actor.userId, sessionId: actor.sessionId, ip: actor.ip }, secret);
    if (!result.ok) {
      if (result.reason === "not_found") redirect("/login");
      if (result.reason === "throttled") return { error: "Too many failed attempts. Wait 15 minutes and try again.", reauthenticate: result.method };
      return {
        fieldErrors: { secret: result.method === "code" ? "That code is not right (or was already used). Try the current one." : "That password is not right." },
        reauthenticate: result.method,
      };
    }
    return { success: "Confirmed. Now press the button again: for the next 10 minutes you will not be asked." };
  },
);
