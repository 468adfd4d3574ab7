import { licenseBodySchema, validateLicenseThrottled } from "@/lib/api/access";
import { apiError, apiJson, describeIssues, withApiToken } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

/** POST /api/v1/licenses/validate { "license_key": "…" }: is this Whop license key valid, for which item, until when? */
export const POST = withApiToken("licenses.validate", "licenses:write", async ({ request, token }) => {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return apiError(400, "invalid_request", 'The body must be JSON: { "license_key": "…" }.');
  }
  const parsed = licenseBodySchema.safeParse(body);
  if (!parsed.success) return apiError(400, "invalid_request", describeIssues(parsed.error.issues));
  const answer = await validateLicenseThrottled(token.tenantId, parsed.data.license_key);
  if ("throttled" in answer) {
    return apiError(429, "rate_limited", `Too many unknown license keys. Try again in ${answer.retryAfterSeconds} seconds.`, {
      "Retry-After": String(answer.retryAfterSeconds),
    });
  }
  return apiJson(answer);
});
