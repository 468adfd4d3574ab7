import { NextResponse, type NextRequest } from "next/server";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";

/**
 * Gives every request an id (lib/http/request-id.ts), visible to the app and echoed to the caller,
 * and answers 404 to a page POST that Next would try to run as a Server Action although it cannot
 * be one (see `cannotBeServerAction`).
 */
export async function proxy(request: NextRequest) {
  const id = requestIdFrom(request.headers);
  if (await cannotBeServerAction(request)) {
    return new NextResponse("No Server Action matches this request.", { status: 404, headers: { "content-type": "text/plain", [REQUEST_ID_HEADER]: id } });
  }
  const forwarded = new Headers(request.headers);
  forwarded.set(REQUEST_ID_HEADER, id);
  const response = NextResponse.next({ request: { headers: forwarded } });
  response.headers.set(REQUEST_ID_HEADER, id);
  return response;
}

/** Next's Server Action ids: 42 hex characters (`mightBeServerReferenceId` checks the length). */
const ACTION_ID = /^[0-9a-f]{42}$/;

/**
 * Next hands a page POST to its Server Action handler when it carries a `Next-Action` header or a
 * multipart body (a form submitted before JavaScript loaded). Two of those can never name an
 * action, and Next answers them with a 400 or, for a multipart body its parser rejects, a 500:
 * a `Next-Action` header that is not an action id, and a multipart body without one that does not
 * parse (checked with the parser Next uses, so a real form passes). Route handlers under `/api/`
 * never run actions and read their own bodies.
 */
async function cannotBeServerAction(request: NextRequest): Promise<boolean> {
  if (request.method !== "POST" || request.nextUrl.pathname.startsWith("/api/")) return false;
  const actionId = request.headers.get("next-action");
  if (actionId !== null) return !ACTION_ID.test(actionId);
  if (!request.headers.get("content-type")?.startsWith("multipart/form-data")) return false;
  try {
    await request.clone().formData();
    return false;
  } catch {
    return true;
  }
}

export const config = {
  // Next's static assets need no id. The webhook route sets its own: a proxy buffers request
  // bodies (up to 10 MB) before the route runs, and that route caps what it reads at 256 KiB.
  matcher: ["/((?!_next/static|_next/image|api/webhooks/).*)"],
};
