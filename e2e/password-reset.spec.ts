import { expect, test, type APIRequestContext } from "@playwright/test";
import { MAIL_URL, PASSWORD, review, uniqueEmail } from "./helpers";

/* Forgot password → the mail (through the worker and a real SMTP server) → reset → log in. */


async function mailFor(request: APIRequestContext, to: string, subject: string): Promise<string> {
  let text = "";
  await expect
    .poll(
      async () => {
        const mails = (await (await request.get(`${MAIL_URL}/messages`, { params: { to } })).json()) as { subject: string; text: string }[];
        text = mails.filter((mail) => mail.subject === subject).at(-1)?.text ?? "";
        return text;
      },
      { timeout: 20_000 },
    )
    .toContain("token=");
  return text;
}

const linkIn = (text: string, path: string) => new URL(text.match(new RegExp(`https?://[^\\s]+${path}\\?token=[^\\s]+`))![0]);

test("a merchant who forgot the password gets a link by mail, sets a new one and logs in with it", async ({ page, request }, testInfo) => {
  const email = uniqueEmail("forgot");
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/onboarding$/);
  await page.context().clearCookies();

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  // The log-in page has an Email field too: wait for the new page before typing.
  await expect(page.getByRole("heading", { name: "Forgot password?" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByText(/If an account uses that email, a link to reset its password is on its way/)).toBeVisible();
  await review(page, testInfo, "forgot-password");

  const link = linkIn(await mailFor(request, email, "Reset your Whop Connector password"), "/reset-password");
  await page.goto(`${link.pathname}${link.search}`);
  await review(page, testInfo, "reset-password");
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await expect(page.getByText("Password set. Log in with the new one.")).toBeVisible();

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByText("Invalid email or password.")).toBeVisible();
  await page.getByLabel("Password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/(onboarding|dashboard)$/);
  await page.goto("/dashboard/settings");
  await expect(page.getByRole("heading", { name: "Active sessions" })).toBeVisible();
  await expect(page.getByText("This session")).toBeVisible();
  await review(page, testInfo, "settings-sessions");

  // The link was single use.
  await page.goto(`${link.pathname}${link.search}`);
  await expect(page.getByText("This reset link was already used.")).toBeVisible();
});

test("the sign-up confirmation mail confirms the email", async ({ page, request }) => {
  const email = uniqueEmail("confirm");
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/onboarding$/);

  const link = linkIn(await mailFor(request, email, "Confirm your email for Whop Connector"), "/verify-email");
  await page.goto(`${link.pathname}${link.search}`);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByText(`Thanks: ${email} is confirmed.`)).toBeVisible();
});
