import { CreateApiTokenForm, RevokeApiTokenForm, RotatePublishableKeyForm } from "@/components/api-token-forms";
import { CopyableValue } from "@/components/copyable-value";
import { Card } from "@/components/ui/card";
import { credentialPrefix } from "@/lib/api/key-format";
import { publishableKeyFor } from "@/lib/api/publishable-keys";
import { API_SCOPES, DEFAULT_SCOPES, SCOPE_DESCRIPTIONS } from "@/lib/api/scopes";
import { listApiTokens, MAX_ACTIVE_TOKENS } from "@/lib/api/tokens";
import { hasRole } from "@/lib/auth/roles";
import { requireAccount } from "@/lib/auth/session";
import { env } from "@/lib/env";
import { formatDateTime } from "@/lib/format";
import { createApiTokenAction, revokeApiTokenAction, rotatePublishableKeyAction } from "./actions";

export const metadata = { title: "API" };

export default async function ApiPage() {
  const { tenant, role } = await requireAccount();
  const [tokens, publishable] = await Promise.all([listApiTokens(tenant.id), publishableKeyFor(tenant.id)]);
  const base = env().appUrl;
  const active = tokens.filter((token) => !token.revokedAt).length;

  return (
    <>
      <h1 className="text-2xl font-semibold">API</h1>
      <Card
        title="Merchant API"
        description={
          <>
            Let your own apps check who bought what — access to an item, license keys, orders — from what Whop reported to us. No call reaches
            Whop and your Whop API key is never exposed. Reference:{" "}
            <a href="/api/v1/openapi.json" className="font-medium text-brand-700 underline underline-offset-2">
              OpenAPI document
            </a>
            .
          </>
        }
      >
        {/* Scrolls sideways inside itself on a phone, so it takes focus: keyboard users can scroll it too. */}
        <pre
          tabIndex={0}
          aria-label="Example requests"
          className="overflow-x-auto rounded-md bg-zinc-900 p-4 text-xs leading-relaxed text-zinc-100 focus-visible:outline-2 focus-visible:outline-brand-500"
        >
          {`curl -H "Authorization: Bearer whc_…" \\
  "${base}/api/v1/access?item=item_…&email=buyer@example.com"
# {"access":true,"item":{…},"membership":{"state":"valid",…}}

curl -H "Authorization: Bearer whc_…" "${base}/api/v1/orders?limit=50"`}
        </pre>
      </Card>

      <Card
        title="Publishable key"
        description="For your app itself: it can only validate, activate and deactivate license keys, so it is safe to ship inside a desktop or mobile app. Never ship a secret token (whc_…): it reads your orders and buyers."
      >
        <div className="space-y-4">
          <CopyableValue id="publishable-key" label="Publishable key" value={publishable} copyLabel="Copy key" />
          {/* Scrolls sideways inside itself on a phone, so it takes focus: keyboard users can scroll it too. */}
          <pre
            tabIndex={0}
            aria-label="Example license requests"
            className="overflow-x-auto rounded-md bg-zinc-900 p-4 text-xs leading-relaxed text-zinc-100 focus-visible:outline-2 focus-visible:outline-brand-500"
          >
            {`curl -X POST -H "Authorization: Bearer ${publishable}" -H "Content-Type: application/json" \\
  -d '{"license_key":"…","instance_name":"Studio iMac"}' ${base}/api/v1/licenses/activate
# 201 {"activation_id":"act_…","valid":true,"activations":{"used":1,"limit":3},…}`}
          </pre>
          {hasRole(role, "owner") && <RotatePublishableKeyForm action={rotatePublishableKeyAction} />}
        </div>
      </Card>

      <Card
        title="Create a token"
        description={`Secret tokens are for your servers: never ship one inside an app a buyer can open. They are shown once and stored only as a hash. One per app or environment, up to ${MAX_ACTIVE_TOKENS} at a time.`}
      >
        <CreateApiTokenForm
          action={createApiTokenAction}
          scopes={API_SCOPES.map((scope) => ({ value: scope, description: SCOPE_DESCRIPTIONS[scope], byDefault: DEFAULT_SCOPES.includes(scope) }))}
        />
      </Card>

      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="text-base font-semibold">
          Tokens <span className="font-normal text-zinc-500">({active} active)</span>
        </h2>
        {tokens.length === 0 ? (
          <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">No tokens yet.</p>
        ) : (
          <ul className="divide-y divide-zinc-200 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm">
            {tokens.map((token) => (
              <li key={token.id} aria-label={token.name} className="flex flex-wrap items-center gap-x-6 gap-y-2 px-5 py-4 text-sm">
                <div className="min-w-48 flex-1">
                  <p className={`font-medium wrap-anywhere ${token.revokedAt ? "text-zinc-500 line-through" : "text-zinc-900"}`}>{token.name}</p>
                  <p className="font-mono text-xs whitespace-nowrap text-zinc-600">{credentialPrefix("secret", tenant.environment)}…{token.tokenHint}</p>
                  <ul aria-label="Scopes" className="mt-1 flex flex-wrap gap-1">
                    {token.scopes.map((scope) => (
                      <li key={scope} className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-[11px] text-zinc-700">
                        {scope}
                      </li>
                    ))}
                  </ul>
                </div>
                <dl className="grid grid-cols-[auto_auto] gap-x-2 text-xs text-zinc-600">
                  <dt className="text-zinc-500">Created</dt>
                  <dd>{formatDateTime(token.createdAt)}</dd>
                  <dt className="text-zinc-500">Last used</dt>
                  <dd>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : "Never"}</dd>
                  {token.revokedAt && (
                    <>
                      <dt className="text-zinc-500">Revoked on</dt>
                      <dd>{formatDateTime(token.revokedAt)}</dd>
                    </>
                  )}
                </dl>
                {token.revokedAt ? (
                  <span className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium text-zinc-600">Revoked</span>
                ) : (
                  <RevokeApiTokenForm action={revokeApiTokenAction} tokenId={token.id} name={token.name} />
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
