import { describe, expect, it } from "vitest";
import { checkKeyFormat, isCompanyKeyPrefix } from "@/lib/whop/key-format";

const KEY = "apik_Test0123456789abcdefGHIJKLmnop";

function rejection(raw: string): string {
  const result = checkKeyFormat(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  expect(result.message).not.toContain(raw.trim() || "\u0000");
  return result.message;
}

describe("checkKeyFormat", () => {
  it("accepts a company key as pasted", () => {
    expect(checkKeyFormat(KEY)).toEqual({ ok: true, key: KEY });
  });

  it("trims spaces, tabs and line breaks around the key", () => {
    expect(checkKeyFormat(`  \t${KEY}\r\n`)).toEqual({ ok: true, key: KEY });
  });

  it("strips a leading 'Bearer '", () => {
    expect(checkKeyFormat(`Bearer ${KEY}`)).toEqual({ ok: true, key: KEY });
    expect(checkKeyFormat(` bearer   ${KEY} `)).toEqual({ ok: true, key: KEY });
  });

  it("strips NBSP and zero-width characters that come with copy-paste", () => {
    expect(checkKeyFormat(`\u00A0\u200B${KEY}\uFEFF\u00A0`)).toEqual({ ok: true, key: KEY });
    expect(checkKeyFormat(`${KEY.slice(0, 10)}\u200B${KEY.slice(10)}`)).toEqual({ ok: true, key: KEY });
  });

  it("strips quotes copied from a .env file", () => {
    expect(checkKeyFormat(`"${KEY}"`)).toEqual({ ok: true, key: KEY });
  });

  it("lets keys without the apik_ prefix through (Whop decides live)", () => {
    const other = "k9Zx7Qw3Er5Ty1Ui8Op2As4Df";
    expect(checkKeyFormat(other)).toEqual({ ok: true, key: other });
    expect(isCompanyKeyPrefix(other)).toBe(false);
    expect(isCompanyKeyPrefix(KEY)).toBe(true);
  });

  it("asks for a key when nothing (or only whitespace) was pasted", () => {
    expect(checkKeyFormat("")).toEqual({ ok: false, message: "Paste your Whop API key." });
    expect(checkKeyFormat(" \n\u00A0\u200B ")).toEqual({ ok: false, message: "Paste your Whop API key." });
    expect(checkKeyFormat("Bearer ")).toEqual({ ok: false, message: "Paste your Whop API key." });
  });

  it("recognises a webhook secret", () => {
    expect(rejection("ws_3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")).toMatch(
      /^That is a webhook secret, not an API key\. .*Developer → Company API keys/,
    );
  });

  it.each(["biz_a1B2c3D4e5F6g7", "user_Ab12Cd34Ef56G", "plan_Pq12Rs34Tu56V", "pay_Ab12Cd34Ef56Gh", "prod_Ab12Cd34Ef56G", "mem_Ab12Cd34Ef56Gh", "ch_Xy12Ab34Cd56Ef7"])(
    "recognises the Whop id %s",
    (id) => {
      const prefix = id.split("_")[0];
      expect(rejection(id)).toMatch(new RegExp(`^That looks like a Whop id \\(${prefix}_…\\), not an API key\\.`));
    },
  );

  it("rejects spaces or line breaks inside the key", () => {
    expect(rejection(`${KEY.slice(0, 12)} ${KEY.slice(12)}`)).toMatch(/spaces or line breaks/);
    expect(rejection(`${KEY.slice(0, 12)}\n${KEY.slice(12)}`)).toMatch(/spaces or line breaks/);
  });

  it("rejects characters a key never has", () => {
    expect(rejection(`${KEY}!é`)).toMatch(/characters a key never has/);
    expect(rejection(`WHOP_API_KEY=${KEY}`)).toMatch(/characters a key never has/);
  });

  it("rejects a key that is too short or too long", () => {
    expect(rejection("apik_short123")).toMatch(/too short/);
    expect(rejection(`apik_${"a".repeat(600)}`)).toMatch(/too long/);
    expect(checkKeyFormat("a".repeat(20)).ok).toBe(true);
    expect(checkKeyFormat("a".repeat(19)).ok).toBe(false);
    expect(checkKeyFormat("a".repeat(512)).ok).toBe(true);
    expect(checkKeyFormat("a".repeat(513)).ok).toBe(false);
  });
});
