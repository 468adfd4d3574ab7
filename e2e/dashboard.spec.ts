import { expect, test } from "@playwright/test";
import { PASSWORD, review, SANDBOX_URL, uniqueEmail } from "./helpers";

test("a merchant fixes the webhook problem, sells, and follows an order from the overview to its raw payload", async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  await page.goto("/signup");
  await review(page, testInfo, "signup");
  await page.goto("/login");
  await review(page, testInfo, "login");

  const { companyKey } = (await (await page.request.post(`${SANDBOX_URL}/_sandbox/companies`, { data: { title: "Northwind Prints" } })).json()) as { companyKey: string };
  await page.goto("/signup");
  await page.getByLabel("Email").fill(uniqueEmail("owner"));
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
