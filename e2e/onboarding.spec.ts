import { expect, test, type Page, type TestInfo } from "@playwright/test";

// The local Whop sandbox's seeded demo company (sandbox/state.ts).
const COMPANY = { id: "biz_DemoCompany001", title: "Demo Company" };
const COMPANY_KEY = "apik_demo_Q7nV2xKc9LmR4tWp8ZsY6bHd3FgJ1aEu";
const USER_KEY = "apik_demo_U5rK8mW2qN7vT4xC1zL9pB6hD3sF0gJy";
const PASSWORD = "a long enough passphrase";

const uniqueEmail = () => `merchant-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@example.com`;

/** The form's own error (Next's route announcer is an alert too). */
const fieldError = (page: Page) => page.getByRole("main").getByRole("alert");

async function snap(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

async function signUp(page: Page, email: string) {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/onboarding$/);
}

async function connect(page: Page, key: string) {
  await page.getByLabel("Whop API key").fill(key);
  await page.getByRole("button", { name: "Connect" }).click();
}

test("a merchant signs up, sees why a bad key fails, connects a good one and lands on the dashboard", async ({ page }, testInfo) => {
  await page.goto("/signup");
  await expect(page.getByText("At least 10 characters")).toBeVisible();
  await snap(page, testInfo, "01-signup");

  await signUp(page, uniqueEmail());
  await snap(page, testInfo, "02-onboarding");

  await connect(page, "ws_notAnApiKeyButAWebhookSecret123");
  await expect(page.getByText("That is a webhook secret, not an API key")).toBeVisible();

  await connect(page, USER_KEY);
  await expect(fieldError(page)).toContainText("This looks like a user or app key, not a company API key.");
  await snap(page, testInfo, "03-bad-key");

  await connect(page, `  ${COMPANY_KEY}  `);
  await expect(page.getByText(`Connected to ${COMPANY.title} (${COMPANY.id}).`)).toBeVisible();
  await snap(page, testInfo, "04-connected");

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: COMPANY.title })).toBeVisible();
  await expect(page.getByText(COMPANY.id)).toBeVisible();
  await expect(page.getByText(`•••• ${COMPANY_KEY.slice(-4)}`)).toBeVisible();
  await expect(page.locator("body")).not.toContainText(COMPANY_KEY);
  await snap(page, testInfo, "05-dashboard");

  // Connected merchants skip the wizard.
  await page.goto("/onboarding");
  await expect(page).toHaveURL(/\/dashboard$/);
});

test("the integration page replaces the key only with one that Whop accepts", async ({ page }, testInfo) => {
  await signUp(page, uniqueEmail());
  await connect(page, COMPANY_KEY);
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.goto("/dashboard/integrations/whop");
  await page.getByLabel("Whop API key").fill("apik_thisKeyDoesNotExistAnywhere000");
  await page.getByRole("button", { name: "Replace key" }).click();
  await expect(fieldError(page)).toContainText("Your current key is still in use.");
  await expect(page.getByText(COMPANY_KEY.slice(-4), { exact: true })).toBeVisible();
  await snap(page, testInfo, "integration-replace-refused");
});

test("one merchant never sees another's company, and pages behind login redirect", async ({ browser }) => {
  const first = await browser.newPage();
  await signUp(first, uniqueEmail());
  await connect(first, COMPANY_KEY);
  await expect(first).toHaveURL(/\/dashboard$/);

  const second = await browser.newPage();
  await signUp(second, uniqueEmail());
  await second.goto("/dashboard/integrations/whop");
  await expect(second.getByText("not connected to a Whop company yet")).toBeVisible();
  await expect(second.locator("body")).not.toContainText(COMPANY.id);

  const anonymous = await browser.newPage();
  for (const path of ["/dashboard", "/dashboard/integrations/whop", "/onboarding"]) {
    await anonymous.goto(path);
    await expect(anonymous).toHaveURL(/\/login$/);
  }
});

test("log in and out: a wrong password gets the generic message", async ({ page }) => {
  const email = uniqueEmail();
  await signUp(page, email);
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Invalid email or password.");

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
});
