import { describe, expect, it } from "vitest";
import { credentialKind, credentialPrefix, newCredential } from "@/lib/api/key-format";

/* The merchant API's credentials, Live and Test: what a secret scanner and a person can tell from one. */

const LIVE_TOKEN = /^whc_[A-Za-z0-9]{38}$/;
const TEST_TOKEN = /^whc_test_[A-Za-z0-9]{38}$/;

describe("credential format", () => {
  it("a Live token matches the documented whc_ pattern; a Test token its own whc_test_ pattern, never the Live one", () => {
    const live = newCredential("secret");
    const test = newCredential("secret", "test");
    expect(live).toMatch(LIVE_TOKEN);
    expect(test).toMatch(TEST_TOKEN);
    expect(test).not.toMatch(LIVE_TOKEN);
    expect(live).not.toMatch(TEST_TOKEN);
    expect([credentialKind(live), credentialKind(test)]).toEqual(["secret", "secret"]);
  });

  it("a Test publishable key says so too, and a typo in either is refused by its checksum", () => {
    const key = newCredential("publishable", "test");
    expect(key.startsWith(credentialPrefix("publishable", "test"))).toBe(true);
    expect(key).toMatch(/^whp_test_[A-Za-z0-9]{38}$/);
    expect(credentialKind(key)).toBe("publishable");
    const test = newCredential("secret", "test");
    const typo = `${test.slice(0, 12)}${test[12] === "A" ? "B" : "A"}${test.slice(13)}`;
    expect(credentialKind(typo)).toBeNull();
    // "test_" is a mark, not part of the random body: a Live-shaped body after it does not pass as Live.
    expect(credentialKind(test.replace("whc_test_", "whc_"))).toBeNull();
  });
});
