import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setupServer } from "msw/node";
import { delay, http, HttpResponse, passthrough } from "msw";
import { createServer } from "node:net";
import { describeKeyProblem } from "@/lib/whop/messages";
import { API_KEY, expectNoKey, makeClient, ORIGIN, whopErrorOf } from "./helpers";

// getCompany() is the live half of onboarding: each Whop answer must end in the right kind of
// error and the right sentence under the "Whop API key" field.

const server = setupServer(
  // Lets the "connection refused" case reach the real network stack.
  http.all("http://127.0.0.1:1/*", () => passthrough()),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const ME = `${ORIGIN}/api/v1/accounts/me`;
const V5_COMPANY = `${ORIGIN}/api/v5/company`;
const production = { environment: "live", keyLooksLikeCompanyKey: true } as const;

/** A local port that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

function counted(handler: () => Response | Promise<Response>) {
  const calls = { count: 0 };
  return { calls, resolver: () => (calls.count++, handler()) };
}

describe("getCompany: a working company key", () => {
  it("reads the business account from /api/v1/accounts/me, with the key and version headers", async () => {
    let seen: Headers | undefined;
    server.use(
      http.get(ME, ({ request }) => {
        seen = request.headers;
        return HttpResponse.json({
          id: "biz_a1B2c3D4e5F6g7",
          title: "Acme",
          route: "acme",
          created_at: "2025-03-01T12:00:00.000Z",
          image_url: null,
          something_new: { nested: true },
        });
      }),
    );

    const company = await makeClient().getCompany();

    expect(company).toEqual({
      id: "biz_a1B2c3D4e5F6g7",
      title: "Acme",
      route: "acme",
      createdAt: new Date("2025-03-01T12:00:00.000Z"),
      via: "v1",
    });
    expect(seen?.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(seen?.get("accept")).toBe("application/json");
    expect(seen?.get("api-version-date")).toBe("2026-07-20");
  });

  it("falls back to /api/v5/company when /me answers 404, reading unix-seconds created_at", async () => {
    server.use(
      http.get(ME, () => HttpResponse.json({ error: { type: "not_found", message: "Not found" } }, { status: 404 })),
      http.get(V5_COMPANY, () =>
        HttpResponse.json({
          id: "biz_a1B2c3D4e5F6g7",
          title: "Acme",
          route: "acme",
          created_at: 1700000000,
          image_url: null,
          authorized_user: null,
        }),
      ),
    );

    const company = await makeClient().getCompany();

    expect(company).toEqual({
      id: "biz_a1B2c3D4e5F6g7",
      title: "Acme",
      route: "acme",
      createdAt: new Date(1700000000 * 1000),
      via: "v5",
    });
  });
});

describe("getCompany: what the merchant is told when it fails", () => {
  it("401 → unauthorized, naming the sandbox/production mix-up, even when Whop echoes the key", async () => {
    server.use(
      http.get(ME, () =>
        HttpResponse.json(
          { error: { type: "unauthorized", message: `Invalid API key ${API_KEY}` } },
          { status: 401 },
        ),
      ),
    );

    const err = await whopErrorOf(() => makeClient().getCompany());

    expect(err.kind).toBe("unauthorized");
    expect(err.status).toBe(401);
    expect(err.whopMessage).toBe("Invalid API key [redacted]");
    const message = describeKeyProblem(err, production);
    expect(message).toContain("Whop rejected this API key");
    expect(message).toContain("Live mode talks to Whop's production API (api.whop.com); a sandbox key belongs in Test mode (Switch to Test).");
    expectNoKey(message);

    const sandbox = describeKeyProblem(err, { environment: "test", keyLooksLikeCompanyKey: true });
    expect(sandbox).toContain("Test mode talks to Whop's sandbox (sandbox-api.whop.com); a production key belongs in Live mode (Switch to Live).");
  });

  it("401 in the v2 error shape is still unauthorized", async () => {
    server.use(
      http.get(ME, () => HttpResponse.json({ error: { status: 401, message: "Unauthorized" } }, { status: 401 })),
    );
    const err = await whopErrorOf(() => makeClient().getCompany());
    expect(err.kind).toBe("unauthorized");
    expect(err.whopMessage).toBe("Unauthorized");
  });

  it("400 'missing all required permissions' → missing_permissions with the names extracted", async () => {
    server.use(
      http.get(ME, () =>
        HttpResponse.json(
          {
            error: {
              type: "invalid_request_error",
              message: "Actor is missing all required permissions: `company:basic:read`",
            },
          },
          { status: 400 },
        ),
      ),
    );

    const err = await whopErrorOf(() => makeClient().getCompany());

    expect(err.kind).toBe("missing_permissions");
    expect(err.status).toBe(400);
    expect(err.missingPermissions).toEqual(["company:basic:read"]);
    const message = describeKeyProblem(err, production);
    expect(message).toContain("This key is missing Whop permissions: company:basic:read.");
    for (const permission of ["plan:create", "access_pass:create", "checkout_configuration:create", "payment:basic:read"]) {
      expect(message).toContain(permission);
    }
    expect(message).toContain("developer:manage_webhook");
    expect(message).toContain("Admin role");
  });

  it("extracts several permissions given as bare word:word tokens (v5 message shape)", async () => {
    server.use(
      http.get(ME, () =>
        HttpResponse.json(
          { message: "You are missing the required permissions plan:create, payment:basic:read" },
          { status: 400 },
        ),
      ),
    );
    const err = await whopErrorOf(() => makeClient().getCompany());
    expect(err.kind).toBe("missing_permissions");
    expect(err.missingPermissions).toEqual(["plan:create", "payment:basic:read"]);
  });

  it("403 with a key that is not apik_ → 'looks like a user or app key'", async () => {
    server.use(
      http.get(ME, () => HttpResponse.json({ error: { type: "forbidden", message: "Forbidden" } }, { status: 403 })),
    );

    const err = await whopErrorOf(() => makeClient().getCompany());

    expect(err.kind).toBe("forbidden");
    expect(err.status).toBe(403);
    expect(describeKeyProblem(err, { environment: "live", keyLooksLikeCompanyKey: false })).toBe(
      "This looks like a user or app key, not a company API key. Create one under your Whop dashboard → Developer → Company API keys; it starts with apik_ and should have the Admin role.",
    );
    // A bare 403 for an apik_ key may be either: name both and where to get the right key.
    const ambiguous = describeKeyProblem(err, production);
    expect(ambiguous).toContain("either a user or app key rather than a company API key, or a company key without the permissions");
    expect(ambiguous).toContain("Admin role");
  });

  it("403 whose message says it is a user key → 'looks like a user or app key' even for an apik_ key", async () => {
    server.use(
      http.get(ME, () =>
        HttpResponse.json({ error: { type: "forbidden", message: "This is a user API key: it is not permitted to act for a company." } }, { status: 403 }),
      ),
    );
    const err = await whopErrorOf(() => makeClient().getCompany());
    expect(describeKeyProblem(err, production)).toMatch(/^This looks like a user or app key, not a company API key\./);
  });

  it("403 naming missing permissions → lists what to grant", async () => {
    server.use(
      http.get(ME, () =>
        HttpResponse.json({ error: { type: "forbidden", message: "Missing permission `plan:create`" } }, { status: 403 }),
      ),
    );
    const err = await whopErrorOf(() => makeClient().getCompany());
    const restricted = describeKeyProblem(err, production);
    expect(restricted).toContain("lacks permissions");
    expect(restricted).toContain("plan:create");
    expect(restricted).toContain("checkout_configuration:create");
  });

  it("200 from /me with a user_ account → forbidden: not a company key", async () => {
    server.use(http.get(ME, () => HttpResponse.json({ id: "user_Ab12Cd34Ef56G", username: "sam" })));

    const err = await whopErrorOf(() => makeClient().getCompany());

    expect(err.kind).toBe("forbidden");
    expect(err.notCompanyKey).toBe(true);
    expect(err.message).toMatch(/not a company API key/);
    // Even when the key has the apik_ prefix, the account says otherwise.
    expect(describeKeyProblem(err, production)).toMatch(/^This looks like a user or app key, not a company API key\./);
  });

  it("404 on both /me and /api/v5/company → not_found, an unexpected answer quoting Whop", async () => {
    const me = counted(() => HttpResponse.json({ error: { code: "not_found", message: "Route not found" } }, { status: 404 }));
    const v5 = counted(() => HttpResponse.json({ message: "Company not found" }, { status: 404 }));
    server.use(http.get(ME, me.resolver), http.get(V5_COMPANY, v5.resolver));

    const err = await whopErrorOf(() => makeClient().getCompany());

    expect(err.kind).toBe("not_found");
    expect(err.status).toBe(404);
    expect(err.whopMessage).toBe("Company not found");
    expect([me.calls.count, v5.calls.count]).toEqual([1, 1]); // 404 is never retried
    const message = describeKeyProblem(err, production);
    expect(message).toContain("Whop gave an unexpected answer while checking the key");
    expect(message).toContain("Company not found");
    expect(message).toContain("Nothing was saved");
  });

  it("429 with a short wait is retried and then succeeds", async () => {
    const waits: number[] = [];
    const me = counted(() =>
      me.calls.count === 1
        ? HttpResponse.json({ error: { type: "rate_limited", message: "Try again in 2 seconds." } }, { status: 429 })
        : HttpResponse.json({ id: "biz_a1B2c3D4e5F6g7", title: "Acme", route: "acme", created_at: null }),
    );
    server.use(http.get(ME, me.resolver));

    const company = await makeClient({ sleep: async (ms) => void waits.push(ms) }).getCompany();

    expect(company.id).toBe("biz_a1B2c3D4e5F6g7");
    expect(company.createdAt).toBeNull();
    expect(me.calls.count).toBe(2);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(2000); // honours "Try again in 2 seconds."
  });

  it("429 with a long Retry-After gives up at once as rate_limited", async () => {
    const me = counted(() =>
      HttpResponse.json({ error: { type: "rate_limited", message: "Too many requests" } }, {
        status: 429,
        headers: { "Retry-After": "30" },
      }),
    );
    server.use(http.get(ME, me.resolver));

    const err = await whopErrorOf(() => makeClient().getCompany());

    expect(err.kind).toBe("rate_limited");
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(30);
    expect(me.calls.count).toBe(1);
    expect(describeKeyProblem(err, production)).toBe(
      "Whop is receiving too many requests for this key. Nothing was saved; try again in 30 seconds.",
    );
  });

  it("500 is retried with growing backoff, then reported as server_error", async () => {
    const waits: number[] = [];
    const me = counted(() => new HttpResponse("<html>Internal Server Error</html>", { status: 500 }));
    server.use(http.get(ME, me.resolver));

    const err = await whopErrorOf(() => makeClient({ sleep: async (ms) => void waits.push(ms) }).getCompany());

    expect(err.kind).toBe("server_error");
    expect(err.status).toBe(500);
    expect(err.whopMessage).toBeUndefined(); // an HTML page is not a message
    expect(me.calls.count).toBe(3); // 1 + maxRetries (2)
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(240);
    expect(waits[0]).toBeLessThanOrEqual(360);
    expect(waits[1]).toBeGreaterThanOrEqual(720);
    expect(waits[1]).toBeLessThanOrEqual(1080);
    expect(describeKeyProblem(err, production)).toBe(
      "Whop is having trouble right now (error 500). Nothing was saved; try again in a minute.",
    );
  });

  it("a slow Whop times out per attempt (retried), then reports timeout", async () => {
    const me = counted(async () => {
      await delay(2_000);
      return HttpResponse.json({ id: "biz_a1B2c3D4e5F6g7", title: "Acme" });
    });
    server.use(http.get(ME, me.resolver));

    const started = Date.now();
    const err = await whopErrorOf(() => makeClient({ timeoutMs: 50, maxRetries: 1 }).getCompany());

    expect(err.kind).toBe("timeout");
    expect(err.status).toBeUndefined();
    expect(me.calls.count).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(describeKeyProblem(err, production)).toBe(
      "Whop is not answering right now. Nothing was saved; try again in a minute.",
    );
  });

  it("a refused connection → unreachable", async () => {
    const err = await whopErrorOf(() => makeClient({ origin: "http://127.0.0.1:1" }).getCompany());

    expect(err.kind).toBe("unreachable");
    expect(err.status).toBeUndefined();
    expect(describeKeyProblem(err, production)).toBe(
      "Whop is unreachable right now. Nothing was saved; try again in a minute.",
    );
  });

  it("a closed port (ECONNREFUSED) → unreachable", async () => {
    const port = await closedPort();
    server.use(http.all(`http://127.0.0.1:${port}/*`, () => passthrough()));

    const err = await whopErrorOf(() => makeClient({ origin: `http://127.0.0.1:${port}` }).getCompany());

    expect(err.kind).toBe("unreachable");
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("a non-JSON 400 keeps Whop's text as the message", async () => {
    server.use(http.get(ME, () => new HttpResponse("Bad things happened", { status: 422 })));
    const err = await whopErrorOf(() => makeClient().getCompany());
    expect(err.kind).toBe("bad_request");
    expect(err.status).toBe(422);
    expect(describeKeyProblem(err, production)).toContain("“Bad things happened”");
  });

  it("a 200 of the wrong shape is an unexpected answer, not a crash", async () => {
    server.use(http.get(ME, () => HttpResponse.json({ title: "no id here" })));
    const err = await whopErrorOf(() => makeClient().getCompany());
    expect(err.kind).toBe("bad_request");
    expect(describeKeyProblem(err, production)).toContain("unexpected answer");
  });

  it("anything that is not a Whop error gets the generic sentence", () => {
    expect(describeKeyProblem(new Error(`boom ${API_KEY}`), production)).toBe(
      "Could not verify the key with Whop; nothing was saved. Try again.",
    );
  });
});
