import { expect, test } from "@playwright/test";
import { connectedMerchant, createItem, SANDBOX_URL, snap } from "./helpers";

test("a buyer pays on Whop's checkout, the order turns paid, and a refund shows as refunded", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);

  await page.goto("/dashboard/items");
  await page.getByLabel("Title").fill("Too precise");
  await page.getByLabel("Price").fill("29.999");
  await page.getByRole("button", { name: "Create item" }).click();
  await expect(page.getByText("USD prices have at most 2 decimals.")).toBeVisible();
  await expect(page.getByLabel("Price")).toHaveValue("29.999");
  await expect(page.getByLabel("Title")).toHaveValue("Too precise");

  const link = await createItem(page, "Lightroom presets", "19.50", "eur", "Twelve hand-made presets.");
  expect(link).toMatch(/\/pay\/[A-Za-z0-9]{16}$/);
  await snap(page, testInfo, "01-items");

  const buyer = await (await browser.newContext()).newPage();
  await buyer.goto(link);
  await expect(buyer).toHaveURL(new RegExp(`^${SANDBOX_URL}/checkout/plan_`));
  await expect(buyer.getByText("Lightroom presets").first()).toBeVisible();
  await expect(buyer.getByText("€19.50").first()).toBeVisible();
  await snap(buyer, testInfo, "02-whop-checkout");

  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer).toHaveURL(/\/pay\/[A-Za-z0-9]{16}\/done\?order=ord_/);
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });
  await snap(buyer, testInfo, "03-thank-you");

  await page.goto("/dashboard/orders");
  const row = page.getByRole("row").filter({ hasText: "Lightroom presets" });
  await expect(row.getByText("Paid", { exact: true })).toBeVisible();
  await expect(row).toContainText("€19.50");
  await snap(page, testInfo, "04-orders-paid");

  const paymentId = (await row.getByText(/^pay_/).textContent())!;
  await page.request.post(`${SANDBOX_URL}/_sandbox/payments/${paymentId}/refund`, { data: { amount: 5 } });
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("row").filter({ hasText: "Lightroom presets" }).getByText("Partially refunded")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await page.request.post(`${SANDBOX_URL}/_sandbox/payments/${paymentId}/refund`, {});
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("row").filter({ hasText: "Lightroom presets" }).getByText("Refunded", { exact: true })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  await page.goto("/dashboard");
  await expect(page.getByText("€0.00").first()).toBeVisible();
  await page.goto("/dashboard/events");
  await expect(page.getByText("payment.succeeded").first()).toBeVisible();
  await snap(page, testInfo, "05-events");
});

test("a declined payment shows as failed, and a deactivated item's link answers 410", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);
  const link = await createItem(page, "Sticker pack", "1500", "jpy");

  const buyer = await (await browser.newContext()).newPage();
  await buyer.goto(link);
  await expect(buyer.getByText("¥1,500").first()).toBeVisible();
  await buyer.getByRole("button", { name: "Decline" }).click();

  await expect(async () => {
    await page.goto("/dashboard/orders");
    await expect(page.getByRole("row").filter({ hasText: "Sticker pack" }).getByText("Failed", { exact: true })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  await page.goto("/dashboard/items");
  await page.getByRole("listitem", { name: "Sticker pack" }).getByRole("button", { name: "Deactivate" }).click();
  await expect(page.getByRole("listitem", { name: "Sticker pack" }).getByText("Deactivated")).toBeVisible();

  const gone = await buyer.goto(link);
  expect(gone?.status()).toBe(410);
  await expect(buyer.getByRole("heading", { name: "“Sticker pack” is no longer available" })).toBeVisible();
  await snap(buyer, testInfo, "410");

  const missing = await buyer.goto(link.replace(/[A-Za-z0-9]{16}$/, "ZZZZZZZZZZZZZZZZ"));
  expect(missing?.status()).toBe(404);
});
