import { randomBytes } from "node:crypto";

// Tests never read a developer's .data/ secrets: every run gets its own keys.
process.env.SESSION_SECRET ??= randomBytes(32).toString("base64url");
process.env.ENCRYPTION_KEYS ??= `k1:${randomBytes(32).toString("base64")}`;
process.env.APP_URL ??= "http://localhost:3000";
process.env.WHOP_API_ORIGIN ??= "https://api.whop.test";
process.env.LOG_LEVEL ??= "silent";
