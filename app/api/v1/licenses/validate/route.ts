import { apiJson, licenseAnswer, parseJsonBody, withLicenseCredential } from "@/lib/api/handler";
import { validateBodySchema, validateLicense } from "@/lib/licenses/licenses";

export const dynamic = "force-dynamic";

/** POST /api/v1/licenses/validate { license_key, activation_id? }: is this license key valid now (and is that activation live)? */
export const POST = withLicenseCredential("licenses.validate", async ({ request, caller }) => {
  const body = await parseJsonBody(request, validateBodySchema, '{ "license_key": "…" }');
  if (!body.ok) return body.response;
  const answer = await validateLicense(caller, body.data);
  return "throttled" in answer ? licenseAnswer(answer) : apiJson(answer);
});
