import { checkAccess, accessQuerySchema } from "@/lib/api/access";
import { apiError, apiJson, describeIssues, withApiToken } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

/** GET /api/v1/access?item=item_…&email=… (or whop_user_id=…): does this buyer hold a valid membership? */
export const GET = withApiToken("access.check", "access:read", async ({ request, token }) => {
  const query = accessQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return apiError(400, "invalid_request", describeIssues(query.error.issues));
  const answer = await checkAccess(token.tenantId, query.data);
  if (answer.kind === "item_not_found") return apiError(404, "item_not_found", "No item of this account has that id.");
  return apiJson(answer.body);
});
