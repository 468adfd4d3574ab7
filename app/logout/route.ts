import { NextResponse, type NextRequest } from "next/server";
import { endSession } from "@/lib/auth/session";
import { isSameOrigin } from "@/lib/http/origin";

export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return new NextResponse("Cross-site request refused.", { status: 403 });
  await endSession();
  return NextResponse.redirect(new URL("/login", request.url), 303);
}
