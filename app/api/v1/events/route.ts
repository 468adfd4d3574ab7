import { apiError, apiJson, describeIssues, withApiToken } from "@/lib/api/handler";
import { eventListQuerySchema, listEvents } from "@/lib/outbound/feed";

export const dynamic = "force-dynamic";

/** GET /api/v1/events?after=&limit=&type=: the webhook events, oldest first after `after`. */
export const GET = withApiToken("events.list", "events:read", async ({ request, token }) => {
  const query = eventListQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return apiError(400, "invalid_request", describeIssues(query.error.issues));
  const result = await listEvents(token.tenantId, query.data);
  if (!result.ok) return apiError(400, "invalid_request", "after: no event of this account has that id (pass the id of an event you received)");
  return apiJson(result.page);
});
