import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { verifyWhopSignature, type VerifyInput } from "@/lib/whop/signatures";

// Independent signers (node:crypto), written from docs/whop.md ("Webhooks: signature schemes") rather than from the verifier.
const hmac = (key: Buffer | string, message: string) => createHmac("sha256", key).update(message, "utf8");
const signStandard = (secret: string, id: string, ts: number, body: string) => hmac(Buffer.from(secret, "utf8"), `${id}.${ts}.${body}`).digest("base64");
const signLegacy = (secret: string, ts: number, body: string) => hmac(secret, `${ts}.${body}`).digest("hex");
const signBare = (secret: string, body: string) => hmac(secret, body).digest("hex");

const SECRET = "ws_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e";
const OLD_SECRET = "ws_0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const OTHER_SECRET = "ws_ffffffffffffffffffffffffffffffff";
const NOW = new Date("2025-06-01T12:00:00Z");
const NOW_S = Math.floor(NOW.getTime() / 1000);
const MSG_ID = "msg_2vQ8kLm3NpR5sT7uW9xY1zA3";
const BODY = JSON.stringify({ id: MSG_ID, api_version: "v1", type: "payment.succeeded", data: { id: "pay_AbCdEf12345678", total: 29.99 } });

function verify(headers: Record<string, string>, overrides: Partial<VerifyInput> = {}) {
  return verifyWhopSignature({ rawBody: BODY, headers: new Headers(headers), secrets: [SECRET], now: NOW, ...overrides });
}

function standardHeaders(opts: { secret?: string; ts?: number; body?: string; id?: string; signature?: string } = {}) {
  const ts = opts.ts ?? NOW_S;
  const id = opts.id ?? MSG_ID;
  return {
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": opts.signature ?? `v1,${signStandard(opts.secret ?? SECRET, id, ts, opts.body ?? BODY)}`,
  };
}

function legacyHeaders(opts: { secret?: string; ts?: number; body?: string } = {}) {
  const ts = opts.ts ?? NOW_S;
  return { "x-whop-signature": `t=${ts},v1=${signLegacy(opts.secret ?? SECRET, ts, opts.body ?? BODY)}` };
}

/** Flips one byte of the body (a digit inside the amount), keeping valid JSON. */
const tamperedBody = BODY.replace("29.99", "29.98");

describe("Standard Webhooks scheme (webhook-id / webhook-timestamp / webhook-signature)", () => {
  it("accepts a correct signature and reports the id, timestamp and secret used", () => {
    expect(verify(standardHeaders())).toEqual({ ok: true, scheme: "standard", webhookId: MSG_ID, timestamp: new Date(NOW_S * 1000), secretIndex: 0 });
  });

  it("rejects a signature made with another secret", () => {
    expect(verify(standardHeaders({ secret: OTHER_SECRET }))).toEqual({ ok: false, scheme: "standard", reason: "signature_mismatch" });
  });

  it("rejects a body changed by one byte", () => {
    expect(tamperedBody).not.toBe(BODY);
    expect(verify(standardHeaders(), { rawBody: tamperedBody })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("rejects a changed webhook-id or timestamp (both are signed)", () => {
    expect(verify({ ...standardHeaders(), "webhook-id": "msg_other" })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verify({ ...standardHeaders(), "webhook-timestamp": String(NOW_S - 1) })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("rejects a delivery signed 301 s ago or 301 s ahead, accepts 299 s either way", () => {
    expect(verify(standardHeaders({ ts: NOW_S - 301 }))).toEqual({ ok: false, scheme: "standard", reason: "timestamp_out_of_range" });
    expect(verify(standardHeaders({ ts: NOW_S + 301 }))).toEqual({ ok: false, scheme: "standard", reason: "timestamp_out_of_range" });
    expect(verify(standardHeaders({ ts: NOW_S - 299 }))).toMatchObject({ ok: true });
    expect(verify(standardHeaders({ ts: NOW_S + 299 }))).toMatchObject({ ok: true });
    expect(verify(standardHeaders({ ts: NOW_S - 300 }))).toMatchObject({ ok: true });
  });

  it("honours a custom tolerance", () => {
    expect(verify(standardHeaders({ ts: NOW_S - 61 }), { toleranceSeconds: 60 })).toMatchObject({ ok: false, reason: "timestamp_out_of_range" });
    expect(verify(standardHeaders({ ts: NOW_S - 59 }), { toleranceSeconds: 60 })).toMatchObject({ ok: true });
  });

  it("accepts when a later v1 entry matches and ignores other versions", () => {
    const good = signStandard(SECRET, MSG_ID, NOW_S, BODY);
    const wrong = signStandard(OTHER_SECRET, MSG_ID, NOW_S, BODY);
    const header = `v1a,${randomBytes(64).toString("base64")} v1,${wrong} v1,${good}`;
    expect(verify(standardHeaders({ signature: header }))).toMatchObject({ ok: true, scheme: "standard" });
  });

  it("does not accept the right digest under another version tag", () => {
    const good = signStandard(SECRET, MSG_ID, NOW_S, BODY);
    expect(verify(standardHeaders({ signature: `v1a,${good}` }))).toMatchObject({ ok: false, reason: "malformed_signature" });
    expect(verify(standardHeaders({ signature: `v2,${good}` }))).toMatchObject({ ok: false });
  });

  it("skips a garbled entry and still accepts a later valid one", () => {
    const good = signStandard(SECRET, MSG_ID, NOW_S, BODY);
    expect(verify(standardHeaders({ signature: `v1,!!notbase64!! v1,${good}` }))).toMatchObject({ ok: true });
  });

  it("matches the second secret during a rotation (secretIndex 1)", () => {
    const headers = standardHeaders({ secret: OLD_SECRET });
    expect(verify(headers, { secrets: [SECRET, OLD_SECRET] })).toMatchObject({ ok: true, secretIndex: 1 });
    expect(verify(standardHeaders(), { secrets: [SECRET, OLD_SECRET] })).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verify(headers, { secrets: [SECRET] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("accepts the svix-* header aliases", () => {
    const svix = (h: Record<string, string>) => ({ "svix-id": h["webhook-id"]!, "svix-timestamp": h["webhook-timestamp"]!, "svix-signature": h["webhook-signature"]! });
    expect(verify(svix(standardHeaders()))).toMatchObject({ ok: true, scheme: "standard", webhookId: MSG_ID, secretIndex: 0 });
    expect(verify(svix(standardHeaders({ secret: OTHER_SECRET })))).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verify(svix(standardHeaders({ ts: NOW_S - 301 })))).toMatchObject({ ok: false, reason: "timestamp_out_of_range" });
  });

  it.each([
    ["no comma", "v1"],
    ["empty signature after the version", "v1,"],
    ["non-base64 text", "v1,@@@@not*base64@@@@"],
    ["base64 of the wrong length", `v1,${randomBytes(16).toString("base64")}`],
    ["hex instead of base64", `v1,${"ab".repeat(32)}`],
    ["only unknown versions", `v0,${randomBytes(32).toString("base64")}`],
  ])("calls a signature with %s malformed", (_label, signature) => {
    expect(verify(standardHeaders({ signature }))).toEqual({ ok: false, scheme: "standard", reason: "malformed_signature" });
  });

  it("calls a missing webhook-id or a non-numeric timestamp malformed", () => {
    const { "webhook-id": _id, ...withoutId } = standardHeaders();
    expect(verify(withoutId)).toEqual({ ok: false, scheme: "standard", reason: "malformed_signature" });
    expect(verify({ ...standardHeaders(), "webhook-timestamp": "yesterday" })).toMatchObject({ ok: false, reason: "malformed_signature" });
    expect(verify({ ...standardHeaders(), "webhook-timestamp": "" })).toMatchObject({ ok: false, reason: "malformed_signature" });
  });

  it("treats an empty webhook-signature header as missing", () => {
    expect(verify({ ...standardHeaders(), "webhook-signature": "" })).toEqual({ ok: false, scheme: null, reason: "missing_signature" });
  });

  describe("whsec_ secrets (Standard Webhooks convention: base64 key after the prefix)", () => {
    const key = randomBytes(24);
    const whsec = `whsec_${key.toString("base64")}`;

    it("verifies with the decoded key, not the secret text", () => {
      const signature = `v1,${hmac(key, `${MSG_ID}.${NOW_S}.${BODY}`).digest("base64")}`;
      expect(verify(standardHeaders({ signature }), { secrets: [whsec] })).toMatchObject({ ok: true, secretIndex: 0 });
      // Signing with the UTF-8 bytes of the whsec_ string is a different key and must fail.
      expect(verify(standardHeaders({ secret: whsec }), { secrets: [whsec] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    });

    it("accepts what the standardwebhooks library signs with the same whsec_ secret", () => {
      const signature = new Webhook(whsec).sign(MSG_ID, NOW, BODY);
      expect(verify(standardHeaders({ signature }), { secrets: [OTHER_SECRET, whsec] })).toMatchObject({ ok: true, secretIndex: 1 });
    });

    it("skips a whsec_ secret that is not base64 instead of throwing", () => {
      expect(verify(standardHeaders(), { secrets: ["whsec_%%%", SECRET] })).toMatchObject({ ok: true, secretIndex: 1 });
    });
  });

  describe("cross-check against the standardwebhooks reference library", () => {
    // The library base64-decodes its key, so it is given base64(secret) to key on the ws_ bytes.
    const library = new Webhook(Buffer.from(SECRET, "utf8").toString("base64"));

    it("accepts the headers the library signs", () => {
      const signature = library.sign(MSG_ID, NOW, BODY);
      expect(signature).toBe(`v1,${signStandard(SECRET, MSG_ID, NOW_S, BODY)}`);
      expect(verify(standardHeaders({ signature }))).toMatchObject({ ok: true, scheme: "standard", webhookId: MSG_ID });
      expect(verify(standardHeaders({ signature }), { rawBody: tamperedBody })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    });

    it("the library accepts what the independent node:crypto signer produces, and so do we", () => {
      const now = new Date();
      const ts = Math.floor(now.getTime() / 1000);
      const headers = standardHeaders({ ts });
      expect(library.verify(BODY, headers)).toEqual(JSON.parse(BODY));
      expect(verify(headers, { now })).toMatchObject({ ok: true });
      const forged = standardHeaders({ ts, secret: OTHER_SECRET });
      expect(() => library.verify(BODY, forged)).toThrow();
      expect(verify(forged, { now })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    });
  });
});

describe("legacy scheme (x-whop-signature: t=<unix>,v1=<hex>)", () => {
  it("accepts a correct signature and reports its timestamp", () => {
    expect(verify(legacyHeaders())).toEqual({ ok: true, scheme: "legacy", webhookId: null, timestamp: new Date(NOW_S * 1000), secretIndex: 0 });
  });

  it("reports the webhook-id header when one is present", () => {
    expect(verify({ ...legacyHeaders(), "webhook-id": MSG_ID })).toMatchObject({ ok: true, scheme: "legacy", webhookId: MSG_ID });
  });

  it("rejects a signature made with another secret", () => {
    expect(verify(legacyHeaders({ secret: OTHER_SECRET }))).toEqual({ ok: false, scheme: "legacy", reason: "signature_mismatch" });
  });

  it("rejects a body changed by one byte", () => {
    expect(verify(legacyHeaders(), { rawBody: tamperedBody })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("rejects a changed t= (the timestamp is signed)", () => {
    const digest = signLegacy(SECRET, NOW_S, BODY);
    expect(verify({ "x-whop-signature": `t=${NOW_S + 1},v1=${digest}` })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("rejects 301 s old or ahead, accepts 299 s either way", () => {
    expect(verify(legacyHeaders({ ts: NOW_S - 301 }))).toEqual({ ok: false, scheme: "legacy", reason: "timestamp_out_of_range" });
    expect(verify(legacyHeaders({ ts: NOW_S + 301 }))).toEqual({ ok: false, scheme: "legacy", reason: "timestamp_out_of_range" });
    expect(verify(legacyHeaders({ ts: NOW_S - 299 }))).toMatchObject({ ok: true });
    expect(verify(legacyHeaders({ ts: NOW_S + 299 }))).toMatchObject({ ok: true });
  });

  it("accepts when a later v1= part matches, with or without spaces after commas", () => {
    const wrong = signLegacy(OTHER_SECRET, NOW_S, BODY);
    const good = signLegacy(SECRET, NOW_S, BODY);
    expect(verify({ "x-whop-signature": `t=${NOW_S},v1=${wrong},v1=${good}` })).toMatchObject({ ok: true, scheme: "legacy" });
    expect(verify({ "x-whop-signature": `v1=${wrong}, t=${NOW_S}, v1=${good.toUpperCase()}` })).toMatchObject({ ok: true });
  });

  it("matches the second secret during a rotation (secretIndex 1)", () => {
    expect(verify(legacyHeaders({ secret: OLD_SECRET }), { secrets: [SECRET, OLD_SECRET] })).toMatchObject({ ok: true, secretIndex: 1 });
  });

  it("uses the decoded key of a whsec_ secret", () => {
    const key = randomBytes(32);
    const digest = hmac(key, `${NOW_S}.${BODY}`).digest("hex");
    expect(verify({ "x-whop-signature": `t=${NOW_S},v1=${digest}` }, { secrets: [`whsec_${key.toString("base64")}`] })).toMatchObject({ ok: true });
  });

  it.each([
    ["no v1 part", `t=${NOW_S}`],
    ["no t part", `v1=${"a".repeat(64)}`],
    ["a non-numeric t", `t=soon,v1=${"a".repeat(64)}`],
    ["two t parts", `t=${NOW_S},t=${NOW_S},v1=${"a".repeat(64)}`],
    ["a non-hex v1", `t=${NOW_S},v1=${"z".repeat(64)}`],
    ["a short v1", `t=${NOW_S},v1=abcdef`],
    ["no separators", `t=${NOW_S}v1=${"a".repeat(64)}`],
  ])("calls a header with %s malformed", (_label, header) => {
    expect(verify({ "x-whop-signature": header })).toEqual({ ok: false, scheme: "legacy", reason: "malformed_signature" });
  });
});

describe("bare scheme (x-whop-signature: <hex>)", () => {
  it("accepts a correct signature; there is no timestamp", () => {
    expect(verify({ "x-whop-signature": signBare(SECRET, BODY) })).toEqual({ ok: true, scheme: "bare", webhookId: null, timestamp: null, secretIndex: 0 });
  });

  it("has no replay window: an old delivery still verifies (dedupe handles replays)", () => {
    expect(verify({ "x-whop-signature": signBare(SECRET, BODY) }, { now: new Date("2035-01-01T00:00:00Z") })).toMatchObject({ ok: true });
  });

  it("rejects a signature made with another secret", () => {
    expect(verify({ "x-whop-signature": signBare(OTHER_SECRET, BODY) })).toEqual({ ok: false, scheme: "bare", reason: "signature_mismatch" });
  });

  it("rejects a body changed by one byte", () => {
    expect(verify({ "x-whop-signature": signBare(SECRET, BODY) }, { rawBody: tamperedBody })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("matches the second secret during a rotation (secretIndex 1)", () => {
    expect(verify({ "x-whop-signature": signBare(OLD_SECRET, BODY) }, { secrets: [SECRET, OLD_SECRET] })).toMatchObject({ ok: true, secretIndex: 1 });
  });

  it("uses the decoded key of a whsec_ secret", () => {
    const key = randomBytes(32);
    expect(verify({ "x-whop-signature": hmac(key, BODY).digest("hex") }, { secrets: [`whsec_${key.toString("base64")}`] })).toMatchObject({ ok: true });
  });

  it.each([
    ["non-hex", "g".repeat(64)],
    ["too short", "abcd"],
    ["too long", "a".repeat(66)],
    ["base64", randomBytes(32).toString("base64").replace(/=/g, "")],
  ])("calls a %s value malformed", (_label, header) => {
    expect(verify({ "x-whop-signature": header })).toEqual({ ok: false, scheme: "bare", reason: "malformed_signature" });
  });
});

describe("choosing the scheme and surviving garbage", () => {
  it("reports a missing signature when no signature header is present", () => {
    expect(verify({ "content-type": "application/json" })).toEqual({ ok: false, scheme: null, reason: "missing_signature" });
    expect(verify({ "x-whop-signature": "   " })).toEqual({ ok: false, scheme: null, reason: "missing_signature" });
  });

  it("prefers webhook-signature over x-whop-signature", () => {
    expect(verify({ ...standardHeaders(), "x-whop-signature": "garbage" })).toMatchObject({ ok: true, scheme: "standard" });
    expect(verify({ ...standardHeaders({ secret: OTHER_SECRET }), ...legacyHeaders() })).toEqual({ ok: false, scheme: "standard", reason: "signature_mismatch" });
  });

  it("fails closed with no usable secret", () => {
    expect(verify(standardHeaders(), { secrets: [] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verify(standardHeaders(), { secrets: [""] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("never throws on garbage input", () => {
    const garbage: unknown[] = [
      { rawBody: BODY, headers: {}, secrets: [SECRET] },
      { rawBody: undefined, headers: new Headers(standardHeaders()), secrets: [SECRET] },
      { rawBody: BODY, headers: new Headers(standardHeaders()), secrets: null },
      { rawBody: BODY, headers: new Headers(standardHeaders()), secrets: [null, 42] },
      { rawBody: BODY, headers: new Headers(standardHeaders()), secrets: [SECRET], now: new Date(Number.NaN) },
      null,
    ];
    for (const input of garbage) {
      const result = verifyWhopSignature(input as VerifyInput);
      expect(result.ok).toBe(false);
    }
  });

  it("never echoes a secret in its result", () => {
    const results = [
      verify(standardHeaders()),
      verify(standardHeaders({ secret: OTHER_SECRET })),
      verify(legacyHeaders({ ts: NOW_S - 1000 })),
      verify({ "x-whop-signature": SECRET }),
    ];
    for (const result of results) expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it("verifies the raw text byte for byte, including non-ASCII and whitespace", () => {
    const raw = '{ "note": "café ☕",\n  "total": 29.990 }';
    const headers = { "x-whop-signature": signBare(SECRET, raw) };
    expect(verify(headers, { rawBody: raw })).toMatchObject({ ok: true });
    expect(verify(headers, { rawBody: JSON.stringify(JSON.parse(raw)) })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });
});

describe("bodies as bytes", () => {
  // Signed over the bytes as sent: the prefix's UTF-8 bytes, then the body's bytes untouched.
  const hmacBytes = (key: Buffer | string, ...parts: (string | Uint8Array)[]) => {
    const mac = createHmac("sha256", key);
    for (const part of parts) mac.update(part);
    return mac;
  };
  // A JSON-looking body with bytes that are not valid UTF-8 (a lone 0xff, a truncated sequence 0xe2 0x82).
  const BYTES = Buffer.concat([Buffer.from('{"id":"msg_Bytes","note":"', "utf8"), Buffer.from([0xff, 0xe2, 0x82]), Buffer.from('"}', "utf8")]);
  const DECODED = BYTES.toString("utf8"); // what a text decoder makes of it: U+FFFD replacements

  it("the body is really not valid UTF-8: decoding and re-encoding changes its bytes", () => {
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(BYTES)).toThrow();
    expect(Buffer.from(DECODED, "utf8").equals(BYTES)).toBe(false);
  });

  it("verifies a Standard Webhooks signature over the raw bytes, and not over their decoded text", () => {
    const signature = `v1,${hmacBytes(Buffer.from(SECRET, "utf8"), `${MSG_ID}.${NOW_S}.`, BYTES).digest("base64")}`;
    const headers = standardHeaders({ signature });
    expect(verify(headers, { rawBody: BYTES })).toEqual({ ok: true, scheme: "standard", webhookId: MSG_ID, timestamp: new Date(NOW_S * 1000), secretIndex: 0 });
    expect(verify(headers, { rawBody: new Uint8Array(BYTES) })).toMatchObject({ ok: true, scheme: "standard" });
    expect(verify(headers, { rawBody: DECODED })).toEqual({ ok: false, scheme: "standard", reason: "signature_mismatch" });
    expect(verify(headers, { rawBody: Buffer.from(DECODED, "utf8") })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("verifies legacy and bare signatures over the raw bytes, and not over their decoded text", () => {
    const legacy = { "x-whop-signature": `t=${NOW_S},v1=${hmacBytes(SECRET, `${NOW_S}.`, BYTES).digest("hex")}` };
    const bare = { "x-whop-signature": hmacBytes(SECRET, BYTES).digest("hex") };
    expect(verify(legacy, { rawBody: BYTES })).toMatchObject({ ok: true, scheme: "legacy" });
    expect(verify(bare, { rawBody: BYTES })).toMatchObject({ ok: true, scheme: "bare" });
    expect(verify(legacy, { rawBody: DECODED })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verify(bare, { rawBody: DECODED })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("rejects the bytes changed by one byte", () => {
    const bare = { "x-whop-signature": hmacBytes(SECRET, BYTES).digest("hex") };
    const changed = Buffer.from(BYTES);
    changed[changed.length - 3] = 0xfe;
    expect(verify(bare, { rawBody: changed })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("reads only the view's own bytes of a Uint8Array that is a slice of a larger buffer", () => {
    const backing = Buffer.concat([Buffer.from("garbage before"), BYTES, Buffer.from("garbage after")]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + "garbage before".length, BYTES.length);
    expect(Buffer.from(view).equals(BYTES)).toBe(true);
    expect(verify({ "x-whop-signature": hmacBytes(SECRET, BYTES).digest("hex") }, { rawBody: view })).toMatchObject({ ok: true, scheme: "bare" });
    expect(verify(legacyHeaders({ body: DECODED }), { rawBody: view })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("gives text and its UTF-8 bytes the same answer", () => {
    const bytes = new TextEncoder().encode(BODY);
    expect(verify(standardHeaders(), { rawBody: bytes })).toEqual(verify(standardHeaders()));
    expect(verify(legacyHeaders(), { rawBody: bytes })).toMatchObject({ ok: true, scheme: "legacy" });
    expect(verify({ "x-whop-signature": signBare(SECRET, BODY) }, { rawBody: bytes })).toMatchObject({ ok: true, scheme: "bare" });
    expect(verify(standardHeaders(), { rawBody: new TextEncoder().encode(tamperedBody) })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("calls a body that is neither text nor bytes malformed", () => {
    for (const rawBody of [42, { length: 3 }, [0x7b, 0x7d], new ArrayBuffer(2)]) {
      expect(verify(standardHeaders(), { rawBody: rawBody as unknown as Uint8Array })).toEqual({ ok: false, scheme: null, reason: "malformed_signature" });
    }
  });
});
