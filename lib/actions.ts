import type { z } from "zod";

/** What every form's server action returns to `useActionState`. */
export interface ActionState {
  error?: string;
  fieldErrors?: Record<string, string>;
  /** The submitted values (never passwords or keys), so a failed submit loses nothing. */
  values?: Record<string, string>;
  success?: string;
  /** A secret shown once, right after it was made (a new API token); never stored in the page. */
  reveal?: string;
  /** The action needs a recent re-authentication: the form shows **Confirm it's you** asking for this. */
  reauthenticate?: "password" | "code";
}

const NEVER_ECHOED = /password|key|secret|token/i;

function echoValues(formData: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of formData.entries()) {
    if (typeof value === "string" && !name.startsWith("$") && !NEVER_ECHOED.test(name)) values[name] = value;
  }
  return values;
}

/**
 * The one way a form reaches the server: parse FormData with zod, answer field errors in the
 * form's terms, or call the handler with typed data.
 */
export function validatedAction<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  handler: (data: z.output<S>, formData: FormData) => Promise<ActionState>,
) {
  return async (_previous: ActionState, formData: FormData): Promise<ActionState> => {
    const parsed = schema.safeParse(Object.fromEntries(formData));
    if (!parsed.success) {
      const fieldErrors: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? "form");
        fieldErrors[field] ??= issue.message;
      }
      return { fieldErrors, values: echoValues(formData) };
    }
    const result = await handler(parsed.data, formData);
    return result.error || result.fieldErrors ? { values: echoValues(formData), ...result } : result;
  };
}
