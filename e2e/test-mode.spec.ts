import { expect, test } from "@playwright/test";
import { createItem, PASSWORD, review, SANDBOX_URL, uniqueEmail } from "./helpers";

/*
 * Test mode end to end: a new account switches to Test before connecting anything, connects a
 * sandbox company's key, sells in Test; Switch to Live finds an empty environment, where a second
 * company's key connects Live. Both environments talk to the e2e sandbox here (as in the demo),
 * each with a company of its own.
 */

const newCompany = async (request: import("@playwright/test").APIRequestContext, title: string) =>
  ((await (await request.post(`${SANDBOX_URL}/_sandbox/companies`, { data: { title } })).json()) as { companyKey: string; companyId: string });

test("connect a test key, sell in Test, switch to Live (empty), connect a live key", async ({ page, browser }, testInfo) => {
  test.setTimeout(180_000);
  const sandboxCompany = await newCompany(page.request, "Sandbox Goods");
  const liveCompany = await newCompany(page.request, "Live Goods");

  await page.goto("/signup");
  await page.getByLabel("Email").fill(uniqueEmail("testmode"));
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();

  // A new account starts in Live, and can switch to Test before connecting anything.
  await expect(page.getByRole("heading", { name: "Connect your Whop company" })).toBeVisible();
  await expect(page.getByText("Test mode")).toHaveCount(0);
  await page.getByRole("button", { name: "Switch to Test" }).click();
  await expect(page).toHaveURL(/\/onboarding$/);
  await expect(page.getByRole("heading", { name: "Connect your Whop sandbox company" })).toBeVisible();
  await expect(page.getByRole("note", { name: "Test mode" })).toBeVisible();
  await review(page, testInfo, "01-onboarding-test");

  await page.getByLabel("Whop API key").fill(sandboxCompany.companyKey);
  await page.getByRole("button", { name: "Connect" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("note", { name: "Test mode" })).toBeVisible();
  await expect(page.getByText(sandboxCompany.companyId)).toBeVisible();

  await page.goto("/dashboard/integrations/whop");
  await page.getByRole("button", { name: "Create webhook automatically" }).click();
  await expect(page.getByText(/Webhook secret saved, ending in/)).toBeVisible();
  const testWebhookUrl = await page.getByLabel("Your webhook URL").inputValue();

  // Sell in Test.
  const link = await createItem(page, "Test-mode course", "12.34", "usd");
  const buyer = await (await browser.newContext()).newPage();
  await buyer.goto(link);
  await expect(buyer).toHaveURL(new RegExp(`^${SANDBOX_URL}/checkout/plan_`));
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });
  await expect(async () => {
    await page.goto("/dashboard/orders");
    await expect(page.getByRole("row").filter({ hasText: "Test-mode course" }).getByText("Paid", { exact: true })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.getByRole("note", { name: "Test mode" })).toBeVisible();
  await review(page, testInfo, "02-orders-test");
  await page.goto("/dashboard");
  await expect(page.getByText("$12.34").first()).toBeVisible();
  await review(page, testInfo, "03-overview-test");

  // Switch to Live: nothing of Test's is there, and Live connects its own key.
  await page.getByRole("button", { name: "Switch to Live" }).click();
  await expect(page.getByRole("note", { name: "Test mode" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Switch to Test" })).toBeVisible();
  await expect(page.getByText("Connect your Whop company")).toBeVisible();
  await page.goto("/dashboard/orders");
  await expect(page.getByText("Test-mode course")).toHaveCount(0);
  await page.goto("/dashboard/items");
  await expect(page.getByText("Test-mode course")).toHaveCount(0);
  await review(page, testInfo, "04-items-live-empty");

  await page.goto("/onboarding");
  await expect(page.getByRole("heading", { name: "Connect your Whop company" })).toBeVisible();
  // Both worlds are one sandbox here: Live connects a company of its own.
  await page.getByLabel("Whop API key").fill(liveCompany.companyKey);
  await page.getByRole("button", { name: "Connect" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByText(liveCompany.companyId)).toBeVisible();
  await expect(page.getByText(sandboxCompany.companyId)).toHaveCount(0);
  await expect(page.getByText("$12.34")).toHaveCount(0);
  await page.goto("/dashboard/integrations/whop");
  expect(await page.getByLabel("Your webhook URL").inputValue()).not.toBe(testWebhookUrl);
  await review(page, testInfo, "05-integration-live");

  // And back to Test: the sale is still there.
  await page.getByRole("button", { name: "Switch to Test" }).click();
  await expect(page.getByRole("note", { name: "Test mode" })).toBeVisible();
  await page.goto("/dashboard/orders");
  await expect(page.getByRole("row").filter({ hasText: "Test-mode course" })).toBeVisible();
});
