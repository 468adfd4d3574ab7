import { env } from "@/lib/env";

/**
 * Mutating routes outside Server Actions accept only requests whose Origin is this app
 * (APP_URL, or the Host the request came to). Browsers always send Origin on a cross-site POST.
 */
export function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (!origin) return false;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  try {
    const originUrl = new URL(origin);
    return originUrl.origin === new URL(env().appUrl).origin || (host !== null && originUrl.host === host);
  } catch {
    return false;
  }
}
