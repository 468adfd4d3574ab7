import { describe, expect, it } from "vitest";
import { createLogger, maskSecretValues } from "@/lib/logger";

const API_KEY = "apik_Zx9Q2mN4vB7cL1kJ8hG5fD3sA6pO0iU";
const WEBHOOK_SECRET = "ws_4f8a1c9e2b7d6a3f0e5c8b1a9d2f7e4c";
const STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PASSWORD = "correct horse battery staple";
const SESSION_COOKIE = "whop_connector_session=Fe26.2**secret-session-seal";

/** A logger whose lines are captured, parsed, and also kept raw (secrets must be absent from the text itself). */
function capture() {
  const lines: string[] = [];
  const log = createLogger({ write: (line: string) => void lines.push(line) }, "info");
  return { log, lines, raw: () => lines.join(""), entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function expectNoSecrets(text: string) {
  for (const secret of [API_KEY, WEBHOOK_SECRET, STANDARD_SECRET, PASSWORD, "Fe26.2**secret-session-seal", API_KEY.slice(5), WEBHOOK_SECRET.slice(3)]) {
    expect(text).not.toContain(secret);
  }
}

describe("logs: JSON lines without secrets", () => {
  it("writes one JSON line per call with level label, ISO time, message and fields", () => {
    const { log, entries } = capture();
    log.child({ requestId: "req-1" }).info({ slug: "AbCdEfGh12345678", status: 303, durationMs: 12 }, "buyer checkout");
    const [entry] = entries();
    expect(entry).toMatchObject({ level: "info", requestId: "req-1", slug: "AbCdEfGh12345678", status: 303, durationMs: 12, msg: "buyer checkout" });
    expect(new Date(entry!.time as string).toISOString()).toBe(entry!.time);
  });

  it("censors secret fields by name at the top level and nested, whatever the spelling", () => {
    const { log, raw, entries } = capture();
    log.info(
      {
        apiKey: API_KEY,
        api_key: API_KEY,
        password: PASSWORD,
        tenant: { id: "tnt_1", webhookSecret: WEBHOOK_SECRET, webhook_secret: WEBHOOK_SECRET, secret: "plain-secret-value" },
        request: { headers: { authorization: `Bearer ${API_KEY}`, cookie: SESSION_COOKIE, "x-request-id": "abc" } },
        response: { headers: { "set-cookie": [SESSION_COOKIE] } },
        deep: { a: { b: { c: { d: { e: { apiKey: API_KEY, Authorization: `Bearer ${API_KEY}`, "X-Api-Key": API_KEY } } } } } },
      },
      "connect",
    );
    expectNoSecrets(raw());
    expect(raw()).not.toContain("plain-secret-value");
    const [entry] = entries();
    expect(entry).toMatchObject({
      apiKey: "[redacted]",
      api_key: "[redacted]",
      password: "[redacted]",
      tenant: { id: "tnt_1", webhookSecret: "[redacted]", webhook_secret: "[redacted]", secret: "[redacted]" },
      request: { headers: { authorization: "[redacted]", cookie: "[redacted]", "x-request-id": "abc" } },
      response: { headers: { "set-cookie": "[redacted]" } },
      deep: { a: { b: { c: { d: { e: { apiKey: "[redacted]", Authorization: "[redacted]", "X-Api-Key": "[redacted]" } } } } } },
      msg: "connect",
    });
  });

  it("masks values shaped like Whop keys and webhook secrets anywhere: message, fields, arrays, child bindings", () => {
    const { log, raw, entries } = capture();
    log.child({ requestId: "r2", note: `pasted ${API_KEY}` }).warn(
      { detail: `Whop said: invalid key ${API_KEY}`, list: ["ok", WEBHOOK_SECRET], nested: { text: `secret is ${STANDARD_SECRET}.` } },
      `key ${API_KEY} rejected; secret ${WEBHOOK_SECRET}`,
    );
    log.info("interpolated %s and %o", API_KEY, { value: STANDARD_SECRET });
    expectNoSecrets(raw());
    const [first, second] = entries();
    expect(first).toMatchObject({
      level: "warn",
      requestId: "r2",
      note: "pasted apik_[redacted]",
      detail: "Whop said: invalid key apik_[redacted]",
      list: ["ok", "ws_[redacted]"],
      nested: { text: "secret is whsec_[redacted]" },
      msg: "key apik_[redacted] rejected; secret ws_[redacted]",
    });
    expect(second!.msg).toContain("interpolated apik_[redacted] and");
  });

  it("masks secrets inside errors: message, stack, cause and extra fields", () => {
    const { log, raw, entries } = capture();
    const cause = new Error(`upstream echoed ${WEBHOOK_SECRET}`);
    const error = Object.assign(new Error(`Whop rejected ${API_KEY}`, { cause }), { kind: "unauthorized", apiKey: API_KEY });
    log.error({ err: error, tenantId: "tnt_9" }, "connect failed");
    log.error(new Error(`bare error with ${STANDARD_SECRET}`));
    expectNoSecrets(raw());
    const [withErr, bare] = entries();
    expect(withErr).toMatchObject({ level: "error", tenantId: "tnt_9", msg: "connect failed", err: { type: "Error", message: "Whop rejected apik_[redacted]: upstream echoed ws_[redacted]", kind: "unauthorized", apiKey: "[redacted]" } });
    expect((withErr!.err as { stack: string }).stack).toContain("Whop rejected apik_[redacted]");
    expect(bare).toMatchObject({ level: "error", msg: "bare error with whsec_[redacted]" });
  });

  it("masks merchant API tokens (whc_…) in values and fields named like a token", () => {
    const { log, raw, entries } = capture();
    const token = "whc_Zx9Q2mN4vB7cL1kJ8hG5fD3sA6pO0iU1a2b3c";
    log.warn({ apiToken: token, header: `Bearer ${token}` }, `token ${token} rejected`);
    expect(raw()).not.toContain(token.slice(4));
    expect(entries()[0]).toMatchObject({ apiToken: "[redacted]", header: "Bearer whc_[redacted]", msg: "token whc_[redacted] rejected" });
  });

  it("keeps ordinary values: ids, prose mentioning ws_ or apik_, short tokens", () => {
    const { log, entries } = capture();
    log.info({ tenant: "wh_AbCdEfGhIjKlMnOpQrStUv", company: "biz_123", words: "news_feed and ws_x and apik_" }, "plain");
    expect(entries()[0]).toMatchObject({ tenant: "wh_AbCdEfGhIjKlMnOpQrStUv", company: "biz_123", words: "news_feed and ws_x and apik_", msg: "plain" });
    expect(maskSecretValues("a ws_short b")).toBe("a ws_short b");
  });

  it("survives circular structures", () => {
    const { log, entries } = capture();
    const loop: Record<string, unknown> = { name: "loop", secret: WEBHOOK_SECRET };
    loop.self = loop;
    log.info({ loop }, "circular");
    expect(entries()[0]).toMatchObject({ loop: { name: "loop", secret: "[redacted]", self: "[Circular]" } });
  });
});
