import { randomBytes } from "node:crypto";

// Tests never read a developer's .data/ secrets: every run gets its own keys.
process.env.SESSION_SECRET ??= randomBytes(32).toString("base64url");
process.env.ENCRYPTION_KEYS ??= `k1:${randomBytes(32).toString("base64")}`;
process.env.APP_URL ??= "http://localhost:3000";
process.env.WHOP_API_ORIGIN ??= "https://api.whop.test";
// Test tenants' calls go to a world of their own, so a test can tell which origin a call reached.
process.env.WHOP_SANDBOX_API_ORIGIN ??= "https://sandbox-api.whop.test";
process.env.LOG_LEVEL ??= "silent";
// Webhook endpoints on the tests' local receivers (127.0.0.1); the SSRF tests turn the guard on explicitly.
process.env.WEBHOOK_ALLOW_PRIVATE_URLS ??= "1";
