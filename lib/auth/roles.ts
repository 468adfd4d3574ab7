import type { Role } from "@/db/schema-auth";

/*
 * What each role of an account may do. Everyone reads every page and exports CSV; an Admin also
 * acts (items, refunds, cancellations, accepting a payment, applying an event again, reconciling,
 * the Whop webhook and its secret, API tokens, endpoints); only an Owner replaces the Whop key,
 * manages the team, requires two-factor and deletes the account. Use cases call `authorize` first
 * thing: hiding a button is a courtesy, this is the rule.
 */

export type { Role };

export const ROLES = ["owner", "admin", "viewer"] as const satisfies readonly Role[];

export const ROLE_LABELS: Record<Role, string> = { owner: "Owner", admin: "Admin", viewer: "Viewer" };

const RANK: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };

/** The role a use case needs: "admin" to act, "owner" for the account itself. */
export type RequiredRole = "admin" | "owner";

export const FORBIDDEN_MESSAGES: Record<RequiredRole, string> = {
  admin: "Your role on this account is Viewer: you can look at everything but change nothing. Ask an owner to make you an admin.",
  owner: "Only an owner of this account can do this.",
};

/** Thrown by `authorize`; the action wrapper answers its message, a route answers 403. */
export class ForbiddenError extends Error {
  constructor(readonly needed: RequiredRole) {
    super(FORBIDDEN_MESSAGES[needed]);
    this.name = "ForbiddenError";
  }
}

export function hasRole(role: Role, needed: RequiredRole | "viewer"): boolean {
  return RANK[role] >= RANK[needed];
}

export function authorize(actor: { role: Role }, needed: RequiredRole): void {
  if (!hasRole(actor.role, needed)) throw new ForbiddenError(needed);
}
