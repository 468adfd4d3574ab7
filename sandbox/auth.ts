import { ApiError, badRequest, forbidden, unauthorized } from "./http";
import type { Credential, Permission, SandboxState } from "./state";

export type CompanyCredential = Extract<Credential, { kind: "company" }>;

export function authenticate(state: SandboxState, token: string | null): Credential {
  if (!token) throw unauthorized("Missing API key. Send it as 'Authorization: Bearer <key>'.");
  const credential = state.credentials.get(token);
  if (!credential) throw unauthorized("The API key is invalid, has been revoked, or belongs to another environment.");
  return credential;
}

function missingPermission(permission: Permission): ApiError {
  const message = `Actor is missing all required permissions: \`${permission}\``;
  // Whop answers the basic company read with 400; other permission failures are 403.
  return permission === "company:basic:read" ? badRequest(message) : forbidden(message);
}

/** The company key behind the request, if it holds every permission listed. */
export function requireCompanyKey(credential: Credential, ...permissions: Permission[]): CompanyCredential {
  if (credential.kind !== "company") {
    throw forbidden(
      "This is a user API key: it is not permitted to act for a company. Use a company API key (Business settings > API keys).",
    );
  }
  for (const permission of permissions) {
    if (!credential.permissions.has(permission)) throw missingPermission(permission);
  }
  return credential;
}

/** The company a request acts on: the one named (it must be the key's own) or the key's. */
export function resolveCompanyId(credential: CompanyCredential, requested: string | undefined): string {
  if (requested === undefined || requested === credential.companyId) return credential.companyId;
  throw forbidden(`You are not authorized to access company ${requested}`);
}
