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

describe("clientIpFrom behind several proxies (TRUSTED_PROXY_HOPS)", () => {
  it("counts the trusted hops from the end; whatever the client prepended is never the answer", () => {
    // CDN → load balancer → app: the CDN appended the client, the load balancer the CDN.
    const headers = new Headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.5" });
    expect(clientIpFrom(headers, 1)).toBe("10.0.0.5");
    expect(clientIpFrom(headers, 2)).toBe("203.0.113.9");
    expect(clientIpFrom(headers, 3)).toBe("6.6.6.6");
    // A chain shorter than the hops (the request skipped a proxy): its first entry, never undefined.
    expect(clientIpFrom(new Headers({ "x-forwarded-for": "203.0.113.9" }), 2)).toBe("203.0.113.9");
    expect(clientIpFrom(new Headers({ "x-forwarded-for": " , " }), 2)).toBeNull();
  });
});
