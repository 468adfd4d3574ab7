import { expect, test } from "@playwright/test";
import { connectedMerchant, createItem, snap } from "./helpers";

test("the merchant refunds half an order from its page and sees it partially refunded once Whop confirms", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);
  const link = await createItem(page, "Video course", "40.00", "usd");

  const buyer = await (await browser.newContext()).newPage();
  await buyer.goto(link);
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });

  await page.goto("/dashboard/orders");
  await page.getByRole("row").filter({ hasText: "Video course" }).getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/orders\/ord_/);
  const refund = page.getByRole("region", { name: "Refund" });
  await expect(refund.getByLabel("Refund amount")).toHaveValue("40.00");
  await snap(page, testInfo, "01-order-refund-form-desktop");
  await page.setViewportSize({ width: 390, height: 844 });
  await snap(page, testInfo, "02-order-refund-form-phone");
  await page.setViewportSize({ width: 1280, height: 720 });

  // More than the order: refused in the form, nothing sent.
  await refund.getByLabel("Refund amount").fill("45");
  await refund.getByRole("button", { name: "Refund" }).click();
  await expect(refund.getByText("At most $40.00 can still be refunded.")).toBeVisible();

  await refund.getByLabel("Refund amount").fill("20");
  await refund.getByLabel("Reason").fill("Only watched half");
  await refund.getByRole("button", { name: "Refund" }).click();
  await expect(page.getByText("Refund of $20.00 requested.")).toBeVisible();

  // Whop creates the refund pending and settles it shortly after; the order follows its Ledger row.
  const status = page.getByRole("heading", { level: 1 }).locator("xpath=..");
  await expect(async () => {
    await page.reload();
    await expect(status.getByText("Partially refunded", { exact: true })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(status.getByText("refund pending")).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Ledger" }).getByRole("listitem").filter({ hasText: /^Refund/ }).filter({ hasText: "$20.00" })).toContainText("succeeded");
  // After a refund the amount starts empty, so a second click cannot refund "the rest" by itself.
  const rest = page.getByRole("region", { name: "Refund" });
  await expect(rest.getByLabel("Refund amount")).toHaveValue("");
  await expect(rest.getByText("Up to $20.00. Less than that is a partial refund.")).toBeVisible();
  await snap(page, testInfo, "03-order-partially-refunded");

  await page.goto("/dashboard/settings");
  await expect(page.getByText("Refund requested").first()).toBeVisible();
});
