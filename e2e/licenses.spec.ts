import { expect, test } from "@playwright/test";
import { connectedMerchant, review, snap, uniqueEmail } from "./helpers";

test.setTimeout(240_000);

test("a buyer pays for an item that issues license keys, the thank-you page shows the key, and the merchant's app validates and activates it with the publishable key", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);
  await page.goto("/dashboard/items");
  await page.getByLabel("Title").fill("Desktop app");
  await page.getByLabel("Price").fill("49.00");
  await page.getByLabel("Issue license keys").check();
  await page.getByLabel("Activation limit").fill("2");
  await page.getByRole("button", { name: "Create item" }).click();
  const row = page.getByRole("listitem", { name: "Desktop app" });
  await expect(row.getByText("License keys, up to 2 activations")).toBeVisible();
  const link = await row.getByLabel("Checkout link for Desktop app").inputValue();

  // The publishable key is always on the API page, made for shipping inside the app.
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API" }).click();
  const publishable = await page.getByLabel("Publishable key").inputValue();
  expect(publishable).toMatch(/^whp_[A-Za-z0-9]{38}$/);
  await review(page, testInfo, "01-api-page-publishable-key");

  const buyerContext = await browser.newContext();
  const buyer = await buyerContext.newPage();
  await buyer.goto(link);
  await buyer.getByLabel("Email").fill(uniqueEmail("buyer"));
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });
  const licenseKey = buyer.getByLabel("Your license key");
  await expect(licenseKey).toBeVisible({ timeout: 15_000 });
  const key = await licenseKey.inputValue();
  expect(key).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/);
  await review(buyer, testInfo, "02-thank-you-license-key");

  // Another browser with the same link sees no key.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(buyer.url());
  await expect(stranger.getByRole("heading", { name: "Payment received" })).toBeVisible();
  await expect(stranger.getByLabel("Your license key")).toHaveCount(0);
  await expect(stranger.getByText(key)).toHaveCount(0);

  // The merchant's app, with the publishable key only.
  const app = (path: string, body: unknown) => page.request.post(path, { headers: { authorization: `Bearer ${publishable}` }, data: body });
  expect(await (await app("/api/v1/licenses/validate", { license_key: key.toLowerCase() })).json()).toMatchObject({ valid: true, reason: null, item: { title: "Desktop app" } });
  const activated = await app("/api/v1/licenses/activate", { license_key: key, instance_name: "Studio iMac" });
  expect(activated.status()).toBe(201);
  const { activation_id } = await activated.json();
  expect(await (await app("/api/v1/licenses/validate", { license_key: key, activation_id })).json()).toMatchObject({ valid: true, activations: { used: 1, limit: 2 } });
  expect((await page.request.get("/api/v1/orders", { headers: { authorization: `Bearer ${publishable}` } })).status()).toBe(401);

  // The merchant sees the key and its activations on the order page, and resets them.
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Orders" }).click();
  await page.getByRole("row").filter({ hasText: "Desktop app" }).getByRole("link").first().click();
  await expect(page.getByLabel("License key", { exact: true })).toHaveValue(key);
  await expect(page.getByText("Studio iMac")).toBeVisible();
  await review(page, testInfo, "03-order-page-license");
  await page.getByRole("button", { name: "Reset activations" }).click();
  await expect(page.getByText("1 activation reset.")).toBeVisible();
  await expect(page.getByText("Studio iMac")).toHaveCount(0);
  expect(await (await app("/api/v1/licenses/validate", { license_key: key, activation_id })).json()).toMatchObject({ valid: false, reason: "activation_not_found" });
  await snap(page, testInfo, "04-activations-reset");
});
