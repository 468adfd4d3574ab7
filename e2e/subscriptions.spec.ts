import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { connectedMerchant, review, SANDBOX_URL } from "./helpers";

/*
 * A monthly item with a 7-day free trial, sold and lived through the sandbox: the buyer starts the
 * trial; Whop's side of time is played by the sandbox's controls (end the trial, renew, fail a
 * renewal, reach the period end), and the merchant cancels at period end from the order page.
 */

const detail = (page: Page, term: string) => page.locator("dl > div").filter({ has: page.getByText(term, { exact: true }) }).locator("dd");
const subscriptionCard = (page: Page) => page.locator("section, div").filter({ has: page.getByRole("heading", { name: "Subscription", exact: true }) }).last();

async function control(page: Page, path: string) {
  const response = await page.request.post(`${SANDBOX_URL}/_sandbox/${path}`, { data: {} });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
}

/** Reloads until `check` passes (webhooks arrive asynchronously). */
async function eventually(page: Page, check: () => Promise<void>) {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout: 20_000 });
}

async function noSidewaysScroll(page: Page, testInfo: TestInfo, name: string) {
  await review(page, testInfo, name);
  await page.setViewportSize({ width: 390, height: 844 });
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(innerWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("a monthly item with a trial: trial → active → renewal → past due → active → cancel at period end → canceled", async ({ page, browser }, testInfo) => {
  test.setTimeout(150_000);
  await connectedMerchant(page, "Club Co");

  // The item form's Billing and Free trial (days).
  await page.goto("/dashboard/items");
  await page.getByLabel("Title").fill("Monthly club");
  await page.getByLabel("Price").fill("9.99");
  await page.getByLabel("Billing").selectOption("monthly");
  await page.getByLabel("Free trial (days)").fill("7");
  await page.getByRole("button", { name: "Create item" }).click();
  const row = page.getByRole("listitem", { name: "Monthly club" });
  await expect(row).toContainText("$9.99 / month");
  await expect(row).toContainText("7-day free trial");
  await noSidewaysScroll(page, testInfo, "01-items");
  const link = await row.getByLabel("Checkout link for Monthly club").inputValue();

  // The buyer starts the trial: nothing charged.
  const context = await browser.newContext();
  const buyer = await context.newPage();
  await buyer.goto(link);
  await expect(buyer.getByTestId("price")).toContainText("every 30 days, 7-day free trial");
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Your free trial has started" })).toBeVisible({ timeout: 20_000 });
  await buyer.screenshot({ path: testInfo.outputPath("02-thank-you-trial.png"), fullPage: true });
  await context.close();

  // Subscriptions lists it as Trialing.
  await page.goto("/dashboard/subscriptions");
  await eventually(page, () => expect(page.getByRole("row").filter({ hasText: "Monthly club" }).getByText("Trialing", { exact: true })).toBeVisible({ timeout: 1_000 }));
  await noSidewaysScroll(page, testInfo, "03-subscriptions-trialing");
  // The orders list: the order is Pending until Whop's first charge, and says it is a trial.
  await page.goto("/dashboard/orders");
  const orderRow = page.getByRole("row").filter({ hasText: "Monthly club" });
  await expect(orderRow.getByText("Pending", { exact: true })).toBeVisible();
  await expect(orderRow.getByText("Trialing", { exact: true })).toBeVisible();
  await noSidewaysScroll(page, testInfo, "03-orders-trialing");
  await page.goto("/dashboard/subscriptions");
  await page.getByRole("row").filter({ hasText: "Monthly club" }).getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/orders\/ord_/);
  await expect(detail(page, "State")).toContainText("Trialing");
  await expect(detail(page, "Access")).toHaveText("Granted");
  const membershipId = (await page.getByText(/^mem_[A-Za-z0-9]+$/).first().textContent())!;

  // The trial ends: the first charge, Active, paid.
  await control(page, `memberships/${membershipId}/end-trial`);
  // Whop's events arrive in any order: the membership may say active before the payment lands.
  await eventually(page, async () => {
    await expect(detail(page, "State")).toContainText("Active", { timeout: 1_000 });
    await expect(detail(page, "Paid")).toHaveText("$9.99", { timeout: 1_000 });
  });

  // A renewal: a second payment of the same order, in the timeline.
  await control(page, `memberships/${membershipId}/renew`);
  await eventually(page, () => expect(detail(page, "Paid")).toHaveText("$19.98", { timeout: 1_000 }));
  await expect(page.getByRole("list", { name: "Ledger" }).getByRole("listitem").filter({ hasText: "subscription cycle" })).toHaveCount(2);
  await expect(page.getByText(/renewal paid: \$9\.99/).first()).toBeVisible();
  // The first charge after the trial starts the subscription; the second is its first renewal.
  await expect(detail(page, "Renewals")).toContainText("1 paid");

  // A failed renewal: past due, no access; renewing again brings it back.
  await control(page, `memberships/${membershipId}/fail-renewal`);
  await eventually(page, () => expect(detail(page, "State")).toContainText("Past due", { timeout: 1_000 }));
  await expect(detail(page, "Access")).toContainText("Subscription past due");
  await noSidewaysScroll(page, testInfo, "04-order-past-due");
  await control(page, `memberships/${membershipId}/renew`);
  await eventually(page, () => expect(detail(page, "State")).toContainText("Active", { timeout: 1_000 }));

  // The overview: MRR, subscribers, renewal revenue.
  await page.goto("/dashboard");
  const subscriptions = page.locator("section, div").filter({ has: page.getByRole("heading", { name: "Subscriptions", exact: true }) }).last();
  await expect(subscriptions.getByRole("row").filter({ hasText: "USD" })).toContainText("$9.99");
  await expect(page.getByText(/of which renewals \$/)).toBeVisible();
  await noSidewaysScroll(page, testInfo, "05-overview");

  // Cancel at period end from the order page: requested until Whop confirms, then Canceling with access.
  await page.goBack();
  await page.getByRole("button", { name: "Cancel at period end" }).click();
  await expect(page.getByText(/Cancellation requested: the subscription stops renewing/)).toBeVisible();
  await expect(detail(page, "State")).toContainText(/Cancellation at period end requested|Canceling/);
  await eventually(page, () => expect(detail(page, "State")).toContainText("Canceling", { timeout: 1_000 }));
  await expect(detail(page, "Access")).toHaveText("Granted");
  await expect(page.getByRole("button", { name: "Resume" })).toBeVisible();
  await noSidewaysScroll(page, testInfo, "06-order-canceling");

  // The period ends: canceled, no access, no actions left.
  await control(page, `memberships/${membershipId}/period-end`);
  await eventually(page, () => expect(detail(page, "State")).toContainText("Canceled", { timeout: 1_000 }));
  await expect(detail(page, "Access")).toContainText("No access");
  await expect(page.getByRole("button", { name: "Resume" })).toHaveCount(0);
  await expect(subscriptionCard(page)).toBeVisible();

  await page.goto("/dashboard/subscriptions?state=canceled");
  await expect(page.getByRole("row").filter({ hasText: "Monthly club" })).toBeVisible();
  await noSidewaysScroll(page, testInfo, "07-subscriptions-canceled");
});
