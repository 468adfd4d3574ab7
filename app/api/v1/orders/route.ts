import { apiError, apiJson, describeIssues, withApiToken } from "@/lib/api/handler";
import { listApiOrders, orderListQuerySchema } from "@/lib/api/orders";

export const dynamic = "force-dynamic";

/** GET /api/v1/orders?status=&item=&limit=&cursor=: newest first; pass next_cursor back for the next page. */
export const GET = withApiToken("orders.list", "orders:read", async ({ request, token }) => {
  const query = orderListQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return apiError(400, "invalid_request", describeIssues(query.error.issues));
  return apiJson(await listApiOrders(token.tenantId, query.data));
});
