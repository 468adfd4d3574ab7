import { pgEnum } from "drizzle-orm/pg-core";

/**
 * An account's two environments, each a tenant of its own: **live** talks to Whop's production API
 * (WHOP_API_ORIGIN), **test** to Whop's sandbox (WHOP_SANDBOX_API_ORIGIN). Live sorts first. A
 * module of its own because both schema files use it while they load.
 */
export const environment = pgEnum("environment", ["live", "test"]);

export type Environment = (typeof environment.enumValues)[number];
