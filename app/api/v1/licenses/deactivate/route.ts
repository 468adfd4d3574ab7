import { apiError, apiJson, licenseAnswer, parseJsonBody, withLicenseCredential } from "@/lib/api/handler";
import { deactivateBodySchema, deactivateLicense } from "@/lib/licenses/licenses";

export const dynamic = "force-dynamic";

/** POST /api/v1/licenses/deactivate { license_key, activation_id }: frees one machine of this license. */
export const POST = withLicenseCredential("licenses.deactivate", async ({ request, caller }) => {
  const body = await parseJsonBody(request, deactivateBodySchema, '{ "license_key": "…", "activation_id": "act_…" }');
  if (!body.ok) return body.response;
  const answer = await deactivateLicense(caller, body.data);
  if ("throttled" in answer) return licenseAnswer(answer);
  switch (answer.kind) {
    case "deactivated":
      return apiJson({ deactivated: true, activation_id: body.data.activation_id, ...answer.license });
    case "activation_not_found":
      return apiError(404, "activation_not_found", "This license has no live activation with that id (already deactivated, reset by the merchant, or another license's).");
    case "unknown":
      return licenseAnswer(answer.answer);
  }
});
