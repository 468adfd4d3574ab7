import { describe, expect, it, vi } from "vitest";

const session = vi.hoisted(() => ({ endSession: vi.fn(async () => {}) }));
vi.mock("@/lib/auth/session", () => session);

const { POST } = await import("@/app/logout/route");

/* POST /logout: ends the session, then sends the browser to /login on the host it used. */
describe("POST /logout", () => {
  it("ends the session and answers 303 to a relative /login (never the host Next listens on)", async () => {
    const response = await POST(new Request("http://localhost:3200/logout", { method: "POST", headers: { origin: "http://localhost:3000", host: "127.0.0.1:3200" } }) as never);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
    expect(session.endSession).toHaveBeenCalledTimes(1);
  });

  it("refuses a cross-site post and ends nothing", async () => {
    session.endSession.mockClear();
    const response = await POST(new Request("http://localhost:3000/logout", { method: "POST", headers: { origin: "https://evil.example", host: "localhost:3000" } }) as never);
    expect(response.status).toBe(403);
    expect(session.endSession).not.toHaveBeenCalled();
  });
});
