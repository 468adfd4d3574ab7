import { z } from "zod";

/**
 * What a secret API token may do, chosen when it is made. Every route of the merchant API names
 * the one scope it needs (tests/api/scopes.test.ts holds each route to it). Tokens made before
 * scopes existed hold all of them, so no integration broke.
 */
export const API_SCOPES = ["orders:read", "access:read", "events:read", "licenses:write"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<ApiScope, string> = {
  "orders:read": "Read orders, with buyer emails and license keys (/api/v1/orders)",
  "access:read": "Ask whether a buyer has access to an item (/api/v1/access)",
  "events:read": "Read the events feed (/api/v1/events)",
  "licenses:write": "Validate, activate and deactivate license keys (/api/v1/licenses/…)",
};

/** Read-only: what a new token holds unless the merchant ticks more. */
export const DEFAULT_SCOPES: readonly ApiScope[] = ["orders:read", "access:read", "events:read"];

export const scopesSchema = z
  .array(z.enum(API_SCOPES, { message: "is not a scope of the merchant API" }))
  .min(1, "Choose at least one scope.")
  .transform((scopes) => API_SCOPES.filter((scope) => scopes.includes(scope)));
