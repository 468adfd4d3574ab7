import { POST } from "@/app/api/webhooks/whop/[tenantId]/route";
import { afterResponseSettled } from "@/lib/http/after-response";

/**
 * A delivery through the real webhook route, then the ledger work that follows its answer (what
 * `next start` runs with after()): the answer says `recorded`, and by the time this resolves the
 * event has been applied as it would be a moment after the answer in production.
 */
export async function postToWebhookRoute(request: Request, tenantPublicId: string): Promise<Response> {
  const response = await POST(request, { params: Promise.resolve({ tenantId: tenantPublicId }) });
  await afterResponseSettled();
  return response;
}
