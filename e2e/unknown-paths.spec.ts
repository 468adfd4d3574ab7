import { expect, test, type APIRequestContext } from "@playwright/test";
import { PASSWORD, uniqueEmail } from "./helpers";

/*
 * Whatever a client sends to a path the app does not serve — any method, any body, any
 * `Next-Action` header — it gets 404 or 405, never a 500. Next takes a multipart or `Next-Action`
 * POST to any page, and to its not-found page, for a Server Action; these requests prove that
 * none of them reaches that far when it cannot be one.
 */

const UNKNOWN_PATHS = [
  "/api",
  "/api/nope",
  "/api/v1/nope",
  "/api/v1/orders/ord_x/refund",
  "/api/webhooks",
  "/api/webhooks/whop",
  "/api/webhooks/whop/wh_unknown/extra",
  "/nope",
  "/dashboard/nope",
  "/pay",
  "/pay/some-slug/done/extra",
  "/favicon.ico",
];

/** Pages that exist; a POST that is no Server Action must not break them either. */
const PAGES = ["/", "/login", "/signup", "/onboarding", "/dashboard", "/dashboard/items", "/pay/no-such-item/done"];

/** Route handlers with the methods they do not take. */
const UNSUPPORTED_METHODS: [string, string[]][] = [
  ["/api/health", ["POST", "PUT", "PATCH", "DELETE"]],
  ["/api/ping", ["PUT", "PATCH", "DELETE"]],
  ["/api/v1/access", ["POST", "PUT", "PATCH", "DELETE"]],
  ["/api/v1/licenses/validate", ["GET", "PUT", "PATCH", "DELETE"]],
  ["/api/v1/orders", ["POST", "PUT", "PATCH", "DELETE"]],
  ["/api/v1/orders/ord_x", ["POST", "PUT", "PATCH", "DELETE"]],
  ["/api/v1/openapi.json", ["POST", "PUT", "PATCH", "DELETE"]],
  ["/api/webhooks/whop/wh_unknown", ["GET", "PUT", "PATCH", "DELETE"]],
  ["/logout", ["GET", "PUT", "PATCH", "DELETE"]],
  ["/pay/some-slug", ["POST", "PUT", "PATCH", "DELETE"]],
  ["/dashboard/orders/export", ["POST", "PUT", "PATCH", "DELETE"]],
];

type Body = { data?: string; multipart?: Record<string, string>; headers?: Record<string, string> };

const BODIES: Record<string, Body> = {
  "a multipart form": { multipart: { email: "x@example.com", note: "hello" } },
  "a multipart form naming an action": { multipart: { "$ACTION_ID_7f00000000000000000000000000000000000000ff": "" } },
  "a multipart body that does not parse": { data: "--b\r\nnot a part\r\n", headers: { "content-type": "multipart/form-data; boundary=b" } },
  "multipart without a boundary": { data: "garbage", headers: { "content-type": "multipart/form-data" } },
  "a urlencoded form": { data: "email=x%40example.com&note=hello", headers: { "content-type": "application/x-www-form-urlencoded" } },
  JSON: { data: '{"hello":"world"}', headers: { "content-type": "application/json" } },
  "broken JSON": { data: '{"hello":', headers: { "content-type": "application/json" } },
  text: { data: "hello", headers: { "content-type": "text/plain" } },
  "an empty body": { data: "" },
};

/** What a stale, forged or broken client could put in `Next-Action`. */
const ACTION_HEADERS: (string | null)[] = [null, "", "garbage", "0".repeat(42), "7f".padEnd(42, "a"), "x".repeat(200)];

const BODY_METHODS = ["POST", "PUT", "PATCH", "DELETE"];

async function statusOf(request: APIRequestContext, path: string, method: string, body: Body = {}, action: string | null = null): Promise<number> {
  const headers = { ...body.headers, ...(action === null ? {} : { "next-action": action }) };
  const response = await request.fetch(path, { method, headers, data: body.data, multipart: body.multipart, maxRedirects: 0, failOnStatusCode: false });
  return response.status();
}

/** Every method, and for each method that carries a body every body with every `Next-Action` header: `path → status` lines. */
async function sweep(request: APIRequestContext, path: string, methods: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const method of methods) {
    if (!BODY_METHODS.includes(method)) {
      lines.push(`${method} ${path} → ${await statusOf(request, path, method)}`);
      continue;
    }
    for (const [name, body] of Object.entries(BODIES)) {
      for (const action of ACTION_HEADERS) {
        if (action !== null && method !== "POST") continue;
        const label = action === null ? "" : ` with Next-Action ${JSON.stringify(action.slice(0, 12))}`;
        lines.push(`${method} ${path} (${name}${label}) → ${await statusOf(request, path, method, body, action)}`);
      }
    }
  }
  return lines;
}

const answeredWith = (lines: string[], allowed: RegExp) => lines.filter((line) => !allowed.test(line.split(" → ")[1]!));

for (const path of UNKNOWN_PATHS) {
  test(`${path} answers 404 or 405 to every method, body and Next-Action header`, async ({ request }) => {
    const lines = await sweep(request, path, ["GET", "HEAD", "OPTIONS", ...BODY_METHODS]);
    expect(answeredWith(lines, /^40[45]$/)).toEqual([]);
  });
}

test("route handlers answer 405 to the methods they do not take, whatever the body", async ({ request }) => {
  const lines: string[] = [];
  for (const [path, methods] of UNSUPPORTED_METHODS) lines.push(...(await sweep(request, path, methods)));
  // Outside /api/ the proxy cannot tell a route handler from a page: there a POST whose Next-Action
  // or multipart body cannot be a Server Action's gets the proxy's 404 first.
  expect(answeredWith(lines, /^405$/).filter((line) => !/^POST \/(?!api\/).*(Next-Action|does not parse|without a boundary)/.test(line))).toEqual([]);
  expect(answeredWith(lines, /^40[45]$/)).toEqual([]);
});

test("a page answers a POST that cannot be a Server Action with a 4xx, never a 500", async ({ request }) => {
  const lines: string[] = [];
  for (const path of PAGES) {
    for (const [name, body] of Object.entries(BODIES)) {
      for (const action of ACTION_HEADERS) {
        const label = action === null ? "" : ` with Next-Action ${JSON.stringify(action.slice(0, 12))}`;
        lines.push(`POST ${path} (${name}${label}) → ${await statusOf(request, path, "POST", body, action)}`);
      }
    }
  }
  expect(answeredWith(lines, /^[1-4]\d\d$/)).toEqual([]);
});

test("a page refuses with 404, before Next runs, a multipart body its form parser rejects and a Next-Action that is no action id", async ({ request }) => {
  const lines: string[] = [];
  for (const path of PAGES) {
    for (const name of ["a multipart body that does not parse", "multipart without a boundary"]) {
      lines.push(`POST ${path} (${name}) → ${await statusOf(request, path, "POST", BODIES[name])}`);
    }
    for (const action of ["", "garbage", "x".repeat(200)]) {
      lines.push(`POST ${path} (Next-Action ${JSON.stringify(action.slice(0, 12))}) → ${await statusOf(request, path, "POST", BODIES["a multipart form"], action)}`);
    }
  }
  expect(answeredWith(lines, /^404$/)).toEqual([]);
});

test("a form submitted before JavaScript runs still reaches its Server Action", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/signup");
  await page.getByLabel("Email").fill(uniqueEmail("no-js"));
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/onboarding$/);
  await context.close();
});
