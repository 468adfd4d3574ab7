import { apiError, apiJson, withApiToken } from "@/lib/api/handler";
import { getApiOrder, orderIdSchema } from "@/lib/api/orders";

export const dynamic = "force-dynamic";

const notFound = () => apiError(404, "not_found", "No order of this account has that id.");

/** GET /api/v1/orders/ord_…: one order of the token's account (another account's id is simply not found). */
export const GET = withApiToken<{ id: string }>("orders.get", "orders:read", async ({ params, token }) => {
  const id = orderIdSchema.safeParse(params.id);
  if (!id.success) return notFound();
  const order = await getApiOrder(token.tenantId, id.data);
  return order ? apiJson(order) : notFound();
});
