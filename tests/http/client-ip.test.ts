import { describe, expect, it } from "vitest";
import { clientIpFrom } from "@/lib/http/client-ip";

describe("clientIpFrom", () => {
  it("takes the address the nearest proxy appended, not the one the client wrote first", () => {
    expect(clientIpFrom(new Headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.9" }))).toBe("203.0.113.9");
    expect(clientIpFrom(new Headers({ "x-forwarded-for": "198.51.100.1" }))).toBe("198.51.100.1");
    expect(clientIpFrom(new Headers({ "x-real-ip": "192.0.2.1" }))).toBe("192.0.2.1");
    expect(clientIpFrom(new Headers())).toBeNull();
  });
});
