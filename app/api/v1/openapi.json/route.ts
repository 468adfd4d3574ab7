import { openApiDocument } from "@/lib/api/openapi";
import { env } from "@/lib/env";

export const dynamic = "force-dynamic";

/** The merchant API's OpenAPI document: public (it describes, it holds nothing). */
export function GET() {
  return Response.json(openApiDocument(env().appUrl), { headers: { "Cache-Control": "public, max-age=300" } });
}
