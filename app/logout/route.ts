import { NextResponse, type NextRequest } from "next/server";
import { endSession } from "@/lib/auth/session";
import { isSameOrigin } from "@/lib/http/origin";

export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return new NextResponse("Cross-site request refused.", { status: 403 });
  await endSession();
  // A relative Location: the browser stays on the host it used (request.url names the host Next
  // listens on — localhost, or a container's address behind a proxy — not the one the browser sees).
  return new NextResponse(null, { status: 303, headers: { location: "/login" } });
}
