import { expect, test, type Page } from "@playwright/test";
import postgres from "postgres";
import { appCode, connectedMerchant, PASSWORD, review } from "./helpers";

/* Settings → Set up two-factor (the code computed from the secret shown in text, as an app would) → log out → log in asks for the code → dashboard. */

async function expectNoSidewaysScroll(page: Page, name: string) {
  await page.setViewportSize({ width: 390, height: 900 });
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `${name} at 390 px scrolls sideways`).toBeLessThanOrEqual(innerWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("a merchant turns on two-factor in Settings, then logging in asks for the code", async ({ page }, testInfo) => {
  await connectedMerchant(page, "Two Factor Goods");
  await page.goto("/dashboard/settings");
  const email = (await page.getByText("You are logged in as").locator("strong").textContent())!.trim();
  expect(email).toContain("@example.com");
  await page.getByRole("button", { name: "Set up two-factor" }).click();
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7 ]{32,40}$/);
  await page.getByRole("heading", { name: "Two-factor authentication" }).scrollIntoViewIfNeeded();
  await review(page, testInfo, "two-factor-setup");
  await expectNoSidewaysScroll(page, "two-factor setup");

  // A wrong code first: refused, still off.
  const right = appCode(secret);
  await page.getByLabel("Authentication code").fill(right === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Turn on two-factor" }).click();
  await expect(page.getByText(/That code is not right/)).toBeVisible();
  await page.getByLabel("Authentication code").fill(appCode(secret));
  await page.getByRole("button", { name: "Turn on two-factor" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.allTextContents()).map((code) => code.trim());
  for (const code of recovery) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
  await review(page, testInfo, "two-factor-recovery-codes");
  await expectNoSidewaysScroll(page, "recovery codes");
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByRole("button", { name: "Turn off two-factor" })).toBeVisible();
  await expect(page.getByText(/10 of 10 recovery codes left/)).toBeVisible();
  await review(page, testInfo, "two-factor-on");

  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible();
  await review(page, testInfo, "two-factor-login");
  await expectNoSidewaysScroll(page, "two-factor login");

  await page.getByLabel("Authentication code").fill("123 45");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText(/That code is not right/)).toBeVisible();
  // The step after the one used to turn it on: unused.
  await page.getByLabel("Authentication code").fill(appCode(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  // A recovery code logs in too, once.
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await page.getByLabel("Authentication code").fill(recovery[0]!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  // By the nav, not page.goto: /logout redirects to localhost, whose cookies 127.0.0.1 does not share.
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByText(/9 of 10 recovery codes left/)).toBeVisible();
  await expect(page.getByText("Recovery code used").first()).toBeVisible();
});

test("the code page without a password first goes back to log in", async ({ page }) => {
  await page.goto("/login/two-factor");
  await expect(page).toHaveURL(/\/login$/);
});

// Moving the session's clock needs the app's database: only when DATABASE_URL names one (CI does).
test("more than 10 minutes after log-in, creating an API token asks to confirm it's you first", async ({ page }, testInfo) => {
  test.skip(!process.env.DATABASE_URL, "needs DATABASE_URL to age the session");
  await connectedMerchant(page, "Step Up Goods");
  await page.getByRole("link", { name: "Settings" }).click();
  const email = (await page.getByText("You are logged in as").locator("strong").textContent())!.trim();
  const sql = postgres(process.env.DATABASE_URL!, { max: 1 });
  try {
    await sql`update sessions set reauthenticated_at = now() - interval '11 minutes'
              where user_id = (select user_id from user_emails where email = ${email}) and ended_at is null`;
  } finally {
    await sql.end();
  }

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API" }).click();
  await expect(page.getByRole("heading", { name: "API", level: 1 })).toBeVisible();
  await page.getByLabel("Name").fill("Members site");
  await expect(page.getByLabel("Name")).toHaveValue("Members site");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText(/confirm it's you before doing this/)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Confirm it's you" })).toBeVisible();
  await expect(page.getByLabel("New API token")).toHaveCount(0);
  await review(page, testInfo, "step-up-confirm");
  await expectNoSidewaysScroll(page, "confirm it's you");

  await page.getByLabel("Password", { exact: true }).fill("not my password");
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.getByText("That password is not right.")).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.getByText(/Confirmed\. Now press the button again/)).toBeVisible();
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByLabel("New API token")).toHaveValue(/^whc_/);
});
