import { describe, expect, it } from "vitest";
import { mayRetry } from "@/lib/whop/transport";

describe("which requests the transport may send twice", () => {
  it.each([
    [{ method: "GET" }, true],
    [{ method: "PATCH" }, true],
    [{ method: "POST", idempotencyKey: "ord_1" }, true],
    [{ method: "POST" }, false],
    [{ method: "POST", idempotencyKey: "ord_1", once: true }, false],
    [{ method: "GET", once: true }, false],
  ] as const)("%j → %s", (spec, expected) => {
    expect(mayRetry(spec)).toBe(expected);
  });
});
