import type { z } from "zod";
import { validatedAction, type ActionState } from "@/lib/actions";
import type { Actor } from "./actor";
import { ForbiddenError } from "./roles";
import { requireActor } from "./session";

/*
 * The one way a dashboard form reaches its use case: the form is parsed (lib/actions.ts), the
 * session authenticates (no session: a redirect to /login), and the use case gets the Actor. The
 * use case checks the role (lib/auth/roles.ts `authorize`); a refusal comes back here as
 * ForbiddenError and is answered as the form's error.
 */

export function actorAction<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  handler: (actor: Actor, data: z.output<S>, formData: FormData) => Promise<ActionState>,
) {
  return validatedAction(schema, async (data, formData) => {
    const actor = await requireActor();
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
