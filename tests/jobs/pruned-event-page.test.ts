import { vi, describe, expect, it } from "vitest";
import EventsPage from "@/app/dashboard/events/page";
import { db } from "@/db/client";
import { webhookEvents } from "@/db/schema";
import { randomBase62 } from "@/lib/ids";
import { PRUNED_PAYLOAD } from "@/lib/ledger/retention";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { html } from "../isolation/next-errors";
import { signInAs } from "../isolation/session";

vi.mock("@/lib/auth/session", () => import("../isolation/session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));
vi.mock("next/navigation", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/navigation")>()),
  useRouter: () => ({ push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() }),
}));

withTestDatabase();

describe("/dashboard/events after the retention job", () => {
  it("shows a pruned event with its result and detail, and says its payload was removed", async () => {
    const merchant = await connectedMerchant();
    const marker = randomBase62(10);
    await db()
      .insert(webhookEvents)
      .values([
        { tenantId: merchant.tenant.id, eventKey: `msg_${randomBase62(24)}`, eventType: "payment.succeeded", scheme: "standard", result: "ignored", detail: `old ${marker}`, payload: PRUNED_PAYLOAD, receivedAt: new Date(Date.now() - 100 * 24 * 60 * 60_000) },
        { tenantId: merchant.tenant.id, eventKey: `msg_${randomBase62(24)}`, eventType: "refund.created", scheme: "standard", result: "applied", detail: `new ${marker}`, payload: JSON.stringify({ kept: marker }) },
      ]);
    signInAs(merchant);
    const page = html(await EventsPage({ searchParams: Promise.resolve({}) }));
    expect(page).toContain(`old ${marker}`);
    expect(page).toContain("Raw payload removed: payloads are kept for 90 days.");
    expect(page).toContain(`new ${marker}`);
    expect(page).toContain(`&quot;kept&quot;: &quot;${marker}&quot;`);
    expect(page.match(/Raw payload removed/g)).toHaveLength(1);
  });
});
