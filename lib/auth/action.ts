import type { z } from "zod";
import { validatedAction, type ActionState } from "@/lib/actions";
import type { Actor } from "./actor";
import { ForbiddenError } from "./roles";
import { requireActor, requireSignedInActor } from "./session";

/*
 * The one way a dashboard form reaches its use case: the form is parsed (lib/actions.ts), the
 * session authenticates (no session: a redirect to /login; a member who must still set up the
 * two-factor their account requires: a redirect to Settings), and the use case gets the Actor. The
 * use case checks the role (lib/auth/roles.ts `authorize`); a refusal comes back here as
 * ForbiddenError and is answered as the form's error.
 */

export function actorAction<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  handler: (actor: Actor, data: z.output<S>, formData: FormData) => Promise<ActionState>,
) {
  return wrapped(schema, requireActor, handler);
}

/**
 * actorAction for the user's own sign-in (password, sessions, two-factor): also allowed to a member
 * whose account requires two-factor they have not set up yet, who can do nothing else.
 */
export function userAction<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  handler: (actor: Actor, data: z.output<S>, formData: FormData) => Promise<ActionState>,
) {
  return wrapped(schema, requireSignedInActor, handler);
}

function wrapped<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  authenticate: () => Promise<Actor>,
  handler: (actor: Actor, data: z.output<S>, formData: FormData) => Promise<ActionState>,
) {
  return validatedAction(schema, async (data, formData) => {
    const actor = await authenticate();
    try {
      return await handler(actor, data, formData);
    } catch (error) {
      if (error instanceof ForbiddenError) return { error: error.message };
      throw error;
    }
  });
}

/**
 * For a plain `<form action>` without a message area (a toggle): the same authentication and
 * role refusal, answered by doing nothing. Input that does not parse does nothing either.
 */
export function actorFormAction<S extends z.ZodType<Record<string, unknown>>>(schema: S, handler: (actor: Actor, data: z.output<S>) => Promise<void>) {
  return async (formData: FormData): Promise<void> => {
    const parsed = schema.safeParse(Object.fromEntries(formData));
    if (!parsed.success) return;
    const actor = await requireActor();
    try {
      await handler(actor, parsed.data);
    } catch (error) {
      if (!(error instanceof ForbiddenError)) throw error;
    }
  };
}
