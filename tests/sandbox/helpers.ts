import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { startWhopSandbox, type SandboxOptions } from "@/sandbox/server";

export type Sandbox = Awaited<ReturnType<typeof startWhopSandbox>>;

export interface IsolatedCompany {
  companyId: string;
  companyTitle: string;
  companyKey: string;
  restrictedKey: string;
  noWebhookKey: string;
  userKey: string;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startWhopSandbox({ port: 0, timeScale: 0.001, ...options });
}

export async function createCompany(sandbox: Sandbox, title = "Test Co"): Promise<IsolatedCompany> {
  const response = await fetch(`${sandbox.url}/_sandbox/companies`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ title }),
  });
  if (response.status !== 201) throw new Error(`creating a company answered ${response.status}`);
  return (await response.json()) as IsolatedCompany;
}

export interface ApiCall {
  method?: string;
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function api(sandbox: Sandbox, path: string, call: ApiCall = {}) {
  const headers: Record<string, string> = { ...call.headers };
  if (call.key) headers.authorization = `Bearer ${call.key}`;
  if (call.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${sandbox.url}${path}`, {
    method: call.method ?? (call.body === undefined ? "GET" : "POST"),
    headers,
    body: call.body === undefined ? undefined : typeof call.body === "string" ? call.body : JSON.stringify(call.body),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, headers: response.headers, text, json: json as any };
}

/** An undated (2025-01-01 shape) inline-plan checkout body for a company. */
export function undatedCheckoutBody(companyId: string, overrides: { plan?: Record<string, unknown>; [key: string]: unknown } = {}) {
  const { plan, ...rest } = overrides;
  return {
    plan: {
      company_id: companyId,
      currency: "usd",
      plan_type: "one_time",
      initial_price: 29.99,
      title: "Premium template",
      visibility: "hidden",
      product: { external_identifier: "item_premium", title: "Premium template" },
      ...plan,
    },
    metadata: { order_id: "ord_1", tenant_id: "ten_1" },
    redirect_url: "https://app.example/pay/premium/done?order=ord_1",
    ...rest,
  };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  json: { [key: string]: unknown };
  answeredWith: number;
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status codes answered in order; after the list runs out, 200. */
  respondWith(statuses: number[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  let queued: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = queued.shift() ?? 200;
      received.push({ headers: req.headers, body, json: JSON.parse(body) as { [key: string]: unknown }, answeredWith: status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respondWith(statuses) {
      queued = [...statuses];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function registerWebhook(sandbox: Sandbox, company: IsolatedCompany, url: string, apiVersion: "v1" | "v5" = "v1") {
  const response = await api(sandbox, "/api/v1/webhooks", {
    key: company.companyKey,
    body: { url, api_version: apiVersion, enabled: true, events: [], resource_id: company.companyId },
  });
  if (response.status !== 200) throw new Error(`webhook create answered ${response.status}: ${response.text}`);
  return response.json as { id: string; webhook_secret: string };
}

/** Creates an undated checkout and returns its JSON. */
export async function createCheckout(sandbox: Sandbox, company: IsolatedCompany, overrides: Parameters<typeof undatedCheckoutBody>[1] = {}) {
  const response = await api(sandbox, "/api/v1/checkout_configurations", {
    key: company.companyKey,
    body: undatedCheckoutBody(company.companyId, overrides),
  });
  if (response.status !== 200) throw new Error(`checkout create answered ${response.status}: ${response.text}`);
  return response.json as { id: string; purchase_url: string; plan: { id: string }; metadata: Record<string, unknown> };
}

/** Submits the hosted checkout form the way a browser does. */
export async function submitCheckout(purchaseUrl: string, action: "pay" | "decline", email = "buyer@example.com") {
  const url = new URL(purchaseUrl);
  const session = url.searchParams.get("session") ?? "";
  const planPath = url.pathname.replace(/\/$/, "");
  return fetch(`${url.origin}${planPath}/${action}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ session, email }).toString(),
    redirect: "manual",
  });
}

/** POST to a `/_sandbox/*` control. */
export const control = (sandbox: Sandbox, path: string, body: unknown = {}) => api(sandbox, `/_sandbox${path}`, { body });

export interface PaidPurchase {
  company: IsolatedCompany;
  hook: Receiver;
  webhook: { id: string; webhook_secret: string };
  paymentId: string;
  membershipId: string;
}

/**
 * A company with a webhook of `apiVersion` and one paid checkout ($29.99, metadata
 * `{ order_id: "ord_as" }` unless overridden); the pay deliveries already arrived. The receiver is
 * pushed onto `receivers` for the caller to close.
 */
export async function paidPurchase(
  sandbox: Sandbox,
  receivers: Receiver[],
  options: { apiVersion?: "v1" | "v5"; company?: IsolatedCompany; checkout?: Parameters<typeof undatedCheckoutBody>[1] } = {},
): Promise<PaidPurchase> {
  const company = options.company ?? (await createCompany(sandbox, "After Sale Co"));
  const hook = await startReceiver();
  receivers.push(hook);
  const webhook = await registerWebhook(sandbox, company, hook.url, options.apiVersion ?? "v1");
  const checkout = await createCheckout(sandbox, company, { metadata: { order_id: "ord_as" }, ...options.checkout });
  const paid = await control(sandbox, `/checkouts/${checkout.id}/pay`);
  if (paid.status !== 200) throw new Error(`pay answered ${paid.status}: ${paid.text}`);
  await waitFor(() => hook.received.length >= 2);
  return { company, hook, webhook, paymentId: paid.json.id as string, membershipId: (paid.json.membership as { id: string }).id };
}

/** The deliveries of one event type (v1 `type` or v5 `action`), in arrival order. */
export const deliveriesOf = (hook: Receiver, type: string) => hook.received.filter((r) => (r.json.type ?? r.json.action) === type);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
