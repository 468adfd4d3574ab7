import { NextResponse, type NextRequest } from "next/server";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";

/** Gives every request an id (lib/http/request-id.ts), visible to the app and echoed to the caller. */
export function proxy(request: NextRequest) {
  const id = requestIdFrom(request.headers);
  const forwarded = new Headers(request.headers);
  forwarded.set(REQUEST_ID_HEADER, id);
  const response = NextResponse.next({ request: { headers: forwarded } });
  response.headers.set(REQUEST_ID_HEADER, id);
  return response;
}

export const config = {
  // Static assets need no id. The webhook route sets its own: a proxy buffers request bodies (up
  // to 10 MB) before the route runs, and that route caps what it reads at 256 KiB.
  matcher: ["/((?!_next/static|_next/image|favicon\\.ico|api/webhooks/).*)"],
};
