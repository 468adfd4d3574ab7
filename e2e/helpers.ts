import AxeBuilder from "@axe-core/playwright";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { expect, type Page, type TestInfo } from "@playwright/test";

/** The ports playwright.config.ts gives the sandbox and the mail sink (moved by E2E_PORT_OFFSET). */
const OFFSET = Number(process.env.E2E_PORT_OFFSET ?? 0);
export const SANDBOX_URL = `http://127.0.0.1:${4310 + OFFSET}`;
export const MAIL_URL = `http://127.0.0.1:${2526 + OFFSET}`;
export const PASSWORD = "a long enough passphrase";

export const uniqueEmail = (label = "seller") => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@example.com`;

export const snap = (page: Page, testInfo: TestInfo, name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });

/** A merchant connected to a fresh sandbox company (isolated from other tests' payments), with the webhook created. */
export async function connectedMerchant(page: Page, title = "Pixel Goods"): Promise<void> {
  const response = await page.request.post(`${SANDBOX_URL}/_sandbox/companies`, { data: { title } });
  const { companyKey } = (await response.json()) as { companyKey: string };

  await page.goto("/signup");
  await page.getByLabel("Email").fill(uniqueEmail());
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByLabel("Whop API key").fill(companyKey);
  await page.getByRole("button", { name: "Connect" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.goto("/dashboard/integrations/whop");
  await page.getByRole("button", { name: "Create webhook automatically" }).click();
  await expect(page.getByText(/Webhook secret saved, ending in/)).toBeVisible();
}

/** Creates an item on the items page and returns its checkout link. */
export async function createItem(page: Page, title: string, price: string, currency: string, description?: string): Promise<string> {
  await page.goto("/dashboard/items");
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Price").fill(price);
  await page.getByLabel("Currency").selectOption(currency);
  if (description) await page.getByLabel("Description").fill(description);
  await page.getByRole("button", { name: "Create item" }).click();
  const row = page.getByRole("listitem", { name: title });
  await expect(row).toBeVisible();
  return row.getByLabel(`Checkout link for ${title}`).inputValue();
}

/** Every page at desktop and phone width, for review; then WCAG 2 A/AA checks with axe. */
export async function review(page: Page, testInfo: TestInfo, name: string) {
  for (const [label, width] of [["desktop", 1280], ["phone", 390]] as const) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: testInfo.outputPath(`${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `accessibility of ${name}`).toEqual([]);
}

/** The authenticator app: the TOTP code for `offset` 30-second steps from now. */
export function appCode(secret: string, offset = 0): string {
  const key = decodeBase32IgnorePadding(secret.replace(/\s+/g, ""));
  return generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + offset), 6);
}

/** Settings → Set up two-factor with the secret shown in text, as an app would; returns the secret. */
export async function turnOnTwoFactor(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Set up two-factor" }).click();
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  await page.getByLabel("Authentication code").fill(appCode(secret));
  await page.getByRole("button", { name: "Turn on two-factor" }).click();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByRole("button", { name: "Turn off two-factor" })).toBeVisible();
  return secret;
}
