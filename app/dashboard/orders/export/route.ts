import { currentAccount, TWO_FACTOR_SETUP_PATH } from "@/lib/auth/session";
import { mustSetUpTwoFactor } from "@/lib/auth/sessions";
import { ordersCsvFilename, ordersCsvStream } from "@/lib/orders/csv";
import { orderFilterSchema } from "@/lib/orders/queries";

/** GET /dashboard/orders/export?status=&item=&q= — the signed-in merchant's matching orders as CSV. */
export async function GET(request: Request): Promise<Response> {
  const account = await currentAccount();
  // Relative, as /logout's: the browser stays on the host it used.
  if (!account) return new Response(null, { status: 303, headers: { location: "/login" } });
  if (mustSetUpTwoFactor(account)) return new Response(null, { status: 303, headers: { location: TWO_FACTOR_SETUP_PATH } });

  const { cursor: _ignored, ...filter } = orderFilterSchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  return new Response(ordersCsvStream(account.tenant.id, filter), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${ordersCsvFilename()}"`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
