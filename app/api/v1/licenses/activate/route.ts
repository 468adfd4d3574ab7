import { apiError, apiJson, licenseAnswer, parseJsonBody, withLicenseCredential } from "@/lib/api/handler";
import { activateBodySchema, activateLicense } from "@/lib/licenses/licenses";

export const dynamic = "force-dynamic";

/** POST /api/v1/licenses/activate { license_key, instance_name }: one more machine for this license, within the item's Activation limit. */
export const POST = withLicenseCredential("licenses.activate", async ({ request, caller }) => {
  const body = await parseJsonBody(request, activateBodySchema, '{ "license_key": "…", "instance_name": "…" }');
  if (!body.ok) return body.response;
  const answer = await activateLicense(caller, body.data);
  if ("throttled" in answer) return licenseAnswer(answer);
  switch (answer.kind) {
    case "activated":
      return apiJson({ activation_id: answer.license.activation!.id, ...answer.license }, 201);
    case "limit_reached":
      return apiError(409, "activation_limit_reached", `This license is active on ${answer.license.activations.used} of ${answer.license.activations.limit} machines. Deactivate one first.`, {}, { license: answer.license });
    case "not_valid":
      return apiError(409, "license_not_valid", `This license is not valid (${answer.license.reason}): it cannot be activated.`, {}, { license: answer.license });
    case "unknown":
      return licenseAnswer(answer.answer);
  }
});
