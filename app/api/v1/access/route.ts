import { accessAnswer, accessByTokenHash, accessQuerySchema } from "@/lib/api/access";
import { apiError, apiJson, describeIssues, withApiTokenLookup } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

/**
 * GET /api/v1/access?item=item_…&email=… (or whop_user_id=…): does this buyer hold a valid
 * membership? The token, the item and the buyer's orders come in one statement.
 */
export const GET = withApiTokenLookup("access.check", "access:read", {
  parse: (request) => {
    const query = accessQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    return query.success ? { ok: true, input: query.data } : { ok: false, response: apiError(400, "invalid_request", describeIssues(query.error.issues)) };
  },
  lookup: async (tokenHash, query) => {
    const rows = await accessByTokenHash(tokenHash, query);
    return rows[0] ? { token: rows[0].token, data: rows } : null;
  },
  answer: (rows, query) => {
    const answer = accessAnswer(query, rows);
    return answer.kind === "item_not_found" ? apiError(404, "item_not_found", "No item of this account has that id.") : apiJson(answer.body);
  },
});
