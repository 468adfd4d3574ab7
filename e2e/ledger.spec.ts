import { expect, test, type Browser, type Page, type TestInfo } from "@playwright/test";
import { connectedMerchant, createItem, SANDBOX_URL } from "./helpers";

/*
 * The order page as Whop's refunds and disputes move through their lifecycles: each is a Ledger
 * row with its own status, and the order's status and flags follow from those rows. Refunds are
 * created through the sandbox control with settle "hold", as when the merchant refunds in Whop's own
 * dashboard and the bank takes its time; disputes are opened and decided the same way.
 */

/** A buyer pays for a fresh item; the merchant opens the order's page. Returns the Whop payment id. */
async function paidOrder(page: Page, browser: Browser, title: string, price: string): Promise<string> {
  const link = await createItem(page, title, price, "usd");
  const context = await browser.newContext();
  const buyer = await context.newPage();
  await buyer.goto(link);
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });
  await context.close();

  await expect(async () => {
    await page.goto("/dashboard/orders");
    await expect(page.getByRole("row").filter({ hasText: title }).getByText("Paid", { exact: true })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await page.getByRole("row").filter({ hasText: title }).getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/orders\/ord_/);
  await expect(header(page).getByText("Paid", { exact: true })).toBeVisible();
  return (await ledger(page).getByText(/^pay_/).textContent())!;
}

/** The amount heading and, beside it, the order's status and flags. */
const header = (page: Page) => page.getByRole("heading", { level: 1 }).locator("xpath=..");
const ledger = (page: Page) => page.getByRole("list", { name: "Ledger" });
const ledgerRow = (page: Page, whopId: string) => ledger(page).getByRole("listitem").filter({ hasText: whopId });
const detail = (page: Page, term: string) => page.locator("dl > div").filter({ has: page.getByText(term, { exact: true }) }).locator("dd");

async function control<T = { id: string }>(page: Page, path: string, data: Record<string, unknown> = {}): Promise<T> {
  const response = await page.request.post(`${SANDBOX_URL}/_sandbox/${path}`, { data });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
  return (await response.json()) as T;
}

/** Reloads the order page until `check` passes (webhooks arrive asynchronously). */
async function eventually(page: Page, check: () => Promise<void>) {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout: 15_000 });
}

/** Full-page screenshots at desktop and phone width; at 390 px nothing may scroll sideways. */
async function screens(page: Page, testInfo: TestInfo, name: string) {
  for (const [label, width] of [["desktop", 1280], ["phone", 390]] as const) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: testInfo.outputPath(`${name}-${label}.png`), fullPage: true });
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `${name} at ${width} px scrolls sideways`).toBeLessThanOrEqual(innerWidth);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("a refund Whop holds shows as pending until it settles: a failed one leaves the order paid, a succeeded one refunds it", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);
  const paymentId = await paidOrder(page, browser, "Design course", "40.00");
  await expect(ledgerRow(page, paymentId)).toContainText("$40.00");
  await expect(ledgerRow(page, paymentId)).toContainText("succeeded");

  // Held at Whop: pending, flagged, and the amount waits beside the refunded total.
  const failing = await control(page, `payments/${paymentId}/refund`, { amount: 10, settle: "hold" });
  expect(failing.id).toMatch(/^rfnd_/);
  await eventually(page, () => expect(header(page).getByText("refund pending", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await expect(header(page).getByText("Paid", { exact: true })).toBeVisible();
  await expect(ledgerRow(page, failing.id)).toContainText("Refund");
  await expect(ledgerRow(page, failing.id)).toContainText("$10.00");
  await expect(ledgerRow(page, failing.id)).toContainText("pending");
  await expect(detail(page, "Refunded")).toHaveText("$0.00 · $10.00 waiting for Whop");
  await expect(page.getByRole("region", { name: "Refund" }).getByText("Up to $30.00.", { exact: false })).toBeVisible();
  await screens(page, testInfo, "01-refund-pending");

  // The bank refuses it: the order is paid as before, the row says failed.
  await control(page, `refunds/${failing.id}/fail`);
  await eventually(page, () => expect(ledgerRow(page, failing.id)).toContainText("failed", { timeout: 1_000 }));
  await expect(header(page).getByText("Paid", { exact: true })).toBeVisible();
  await expect(header(page).getByText("refund pending")).toHaveCount(0);
  await expect(detail(page, "Refunded")).toHaveText("$0.00");
  await expect(detail(page, "Access")).toHaveText("Granted");
  await screens(page, testInfo, "02-refund-failed");

  // Another held refund, which succeeds: partially refunded.
  const succeeding = await control(page, `payments/${paymentId}/refund`, { amount: 15, settle: "hold" });
  await eventually(page, () => expect(ledgerRow(page, succeeding.id)).toContainText("pending", { timeout: 1_000 }));
  await expect(header(page).getByText("refund pending", { exact: true })).toBeVisible();
  await control(page, `refunds/${succeeding.id}/succeed`);
  await eventually(page, () => expect(header(page).getByText("Partially refunded", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await expect(header(page).getByText("refund pending")).toHaveCount(0);
  await expect(ledgerRow(page, succeeding.id)).toContainText("succeeded");
  await expect(ledgerRow(page, succeeding.id)).toContainText("$15.00");
  await expect(ledgerRow(page, failing.id)).toContainText("failed");
  await expect(detail(page, "Refunded")).toHaveText("$15.00");
  await expect(detail(page, "Access")).toHaveText("Granted");
  await screens(page, testInfo, "03-partially-refunded");

  // The merchant refunds the rest from the page; Whop settles it by itself: refunded, access ends.
  const refund = page.getByRole("region", { name: "Refund" });
  await expect(refund.getByLabel("Refund amount")).toHaveValue("");
  await refund.getByLabel("Refund amount").fill("25");
  await refund.getByRole("button", { name: "Refund" }).click();
  // The form gives way to the refund waiting for Whop, unless Whop has settled it already.
  await expect(refund.getByText("Nothing is left to refund: $25.00 is waiting for Whop.", { exact: false }).or(header(page).getByText("Refunded", { exact: true }))).toBeVisible();
  await eventually(page, () => expect(header(page).getByText("Refunded", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await expect(header(page).getByText("refund pending")).toHaveCount(0);
  await expect(ledger(page).getByRole("listitem").filter({ hasText: "$25.00" })).toContainText("succeeded");
  await expect(detail(page, "Refunded")).toHaveText("$40.00");
  await expect(detail(page, "Access")).toHaveText("No access — Fully refunded");
  await expect(page.getByRole("region", { name: "Refund" })).toHaveCount(0);
  await screens(page, testInfo, "04-refunded");
});

test("a dispute makes the order disputed while it is open, and paid again once the merchant wins it", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);
  const paymentId = await paidOrder(page, browser, "Font license", "25.00");

  const dispute = await control(page, `payments/${paymentId}/dispute`, { reason: "product_not_received" });
  expect(dispute.id).toMatch(/^dspt_/);
  await eventually(page, () => expect(header(page).getByText("Disputed", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await expect(ledgerRow(page, dispute.id)).toContainText("Dispute");
  await expect(ledgerRow(page, dispute.id)).toContainText("$25.00");
  await expect(ledgerRow(page, dispute.id)).toContainText("open");
  await expect(ledgerRow(page, dispute.id)).toContainText("Reason: product not received");
  // No refund while the bank decides.
  await expect(page.getByRole("region", { name: "Refund" })).toHaveCount(0);
  await screens(page, testInfo, "05-disputed");

  await control(page, `disputes/${dispute.id}/win`);
  await eventually(page, () => expect(header(page).getByText("Paid", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await expect(ledgerRow(page, dispute.id)).toContainText("won");
  await expect(detail(page, "Access")).toHaveText("Granted");
  await screens(page, testInfo, "06-dispute-won");
});

test("a lost dispute leaves the order “dispute lost” and ends the buyer's access", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);
  const paymentId = await paidOrder(page, browser, "Stock photos", "60.00");

  const dispute = await control(page, `payments/${paymentId}/dispute`, { amount: 60 });
  await eventually(page, () => expect(header(page).getByText("Disputed", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await control(page, `disputes/${dispute.id}/lose`);
  await eventually(page, () => expect(header(page).getByText("Dispute lost", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await expect(ledgerRow(page, dispute.id)).toContainText("lost");
  await expect(ledgerRow(page, paymentId)).toContainText("succeeded");
  await expect(detail(page, "Access")).toHaveText("No access — Dispute lost");
  await expect(page.getByRole("region", { name: "Refund" })).toHaveCount(0);
  await screens(page, testInfo, "07-dispute-lost");
});
