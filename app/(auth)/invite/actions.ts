"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { passwordSchema } from "@/lib/auth/password";
import { clientIp, currentAccount, getSession, startSession } from "@/lib/auth/session";
import { switchSessionAccount } from "@/lib/auth/sessions";
import { acceptInvitationAs, acceptInvitationAsNewUser, INVITATION_PROBLEMS } from "@/lib/auth/team";

const tokenSchema = z.string().min(1, "This link is incomplete: open it again from the mail.").max(200, "This link is not one of ours.");

/** Someone new: the login is created with this password, signed in, in the account. */
export const acceptAsNewUserAction = validatedAction(z.object({ token: tokenSchema, password: passwordSchema }), async ({ token, password }) => {
  const result = await acceptInvitationAsNewUser(token, password, await clientIp());
  if (!result.ok) return { error: INVITATION_PROBLEMS[result.reason] };
  await startSession(result.user, result.accountId);
  redirect("/dashboard");
});

/** The signed-in user with the invited email: the membership is added and the session moves to that account. */
export const acceptAsSignedInAction = validatedAction(z.object({ token: tokenSchema }), async ({ token }) => {
  const live = await currentAccount();
  if (!live) redirect("/login");
  const result = await acceptInvitationAs(live.user, token, await clientIp());
  if (!result.ok) return { error: INVITATION_PROBLEMS[result.reason] };
  const session = await getSession();
  if (session.sessionId && session.userId) await switchSessionAccount({ sessionId: session.sessionId, userId: session.userId }, result.accountId);
  redirect("/dashboard");
});
