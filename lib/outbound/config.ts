import { env } from "@/lib/env";

/** WEBHOOK_ALLOW_PRIVATE_URLS (lib/env.ts): whether endpoints may be http:// and reach private addresses. */
export function allowPrivateUrls(): boolean {
  return env().webhookAllowPrivateUrls;
}
