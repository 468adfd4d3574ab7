import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page, type TestInfo } from "@playwright/test";

const SANDBOX_URL = "http://127.0.0.1:4310";
const PASSWORD = "a long enough passphrase";
const uniqueEmail = () => `owner-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@example.com`;

/** Every page at desktop and phone width, for review; then WCAG 2 A/AA checks with axe. */
async function review(page: Page, testInfo: TestInfo, name: string) {
  for (const [label, width] of [["desktop", 1280], ["phone", 390]] as const) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: testInfo.outputPath(`${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `accessibility of ${name}`).toEqual([]);
}

test("a merchant fixes the webhook problem, sells, and follows an order from the overview to its raw payload", async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  await page.goto("/signup");
  await review(page, testInfo, "signup");
  await page.goto("/login");
  await review(page, testInfo, "login");

  const { companyKey } = (await (await page.request.post(`${SANDBOX_URL}/_sandbox/companies`, { data: { title: "Northwind Prints" } })).json()) as { companyKey: string };
  await page.goto("/signup");
  await page.getByLabel("Email").fill(uniqueEmail());
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/onboarding$/);
  await review(page, testInfo, "onboarding");
  await page.getByLabel("Whop API key").fill(companyKey);
  await page.getByRole("button", { name: "Connect" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  // The problems banner names the missing webhook secret and links to the fix.
  const banner = page.getByRole("region", { name: "Problems" });
  await expect(banner).toContainText("no webhook secret saved");
  await review(page, testInfo, "dashboard-needs-webhook");
  await banner.getByRole("link", { name: "Set up the webhook" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations\/whop$/);
  await page.getByRole("button", { name: "Create webhook automatically" }).click();
  await expect(page.getByText(/Webhook secret saved, ending in/)).toBeVisible();
  await review(page, testInfo, "integration");
  await page.getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("region", { name: "Problems" })).not.toContainText("no webhook secret saved");

  // A sale.
  await page.goto("/dashboard/items");
  await page.getByLabel("Title").fill("Poster pack");
  await page.getByLabel("Price").fill("12");
  await page.getByRole("button", { name: "Create item" }).click();
  const link = await page.getByLabel("Checkout link for Poster pack").inputValue();
  await review(page, testInfo, "items");
  const buyer = await (await browser.newContext()).newPage();
  await buyer.goto(link);
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });

  // Overview → orders → the order's timeline → events → the raw payload.
  await page.getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("region", { name: "Problems" })).toHaveCount(0);
  await expect(page.getByRole("img", { name: /paid order/i })).toBeVisible();
  await review(page, testInfo, "dashboard");
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Orders" }).click();
  const row = page.getByRole("row").filter({ hasText: "Poster pack" });
  await expect(row.getByText("Paid", { exact: true })).toBeVisible();
  await review(page, testInfo, "orders");
  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/orders\/ord_/);
  const orderId = page.url().split("/").pop()!;
  await expect(page.getByText(/payment\.succeeded/).first()).toBeVisible();
  await review(page, testInfo, "order");
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Events" }).click();
  const event = page.getByRole("listitem").filter({ hasText: "payment.succeeded" });
  await event.getByText("Raw payload").click();
  await expect(event.locator("pre")).toContainText(`"order_id": "${orderId}"`);
  await review(page, testInfo, "events");

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await review(page, testInfo, "settings");
});
