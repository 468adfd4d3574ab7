import { expect, test } from "@playwright/test";
import { connectedMerchant, createItem, review, turnOnTwoFactor, uniqueEmail } from "./helpers";

/* The owner invites a Viewer; the Viewer accepts with a new password, sees the order but no way to refund it. */

test("an invited Viewer joins from the link and cannot refund", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page, "Team Goods");
  const link = await createItem(page, "Team course", "30.00", "usd");
  const buyer = await (await browser.newContext()).newPage();
  await buyer.goto(link);
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });

  await page.goto("/dashboard/settings");
  await page.getByRole("link", { name: /Team: members, roles and invitations/ }).click();
  await expect(page.getByRole("heading", { name: "Team", exact: true })).toBeVisible();
  const viewerEmail = uniqueEmail("viewer");
  await page.getByLabel("Email").fill(viewerEmail);
  await page.getByLabel("Role").selectOption("viewer");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText(`Invitation sent to ${viewerEmail}.`)).toBeVisible();
  const invitation = new URL(await page.getByLabel("Invitation link").inputValue());
  await page.reload();
  await expect(page.getByRole("listitem").filter({ hasText: viewerEmail })).toContainText("Viewer");
  await review(page, testInfo, "team");

  const viewer = await (await browser.newContext()).newPage();
  await viewer.goto(invitation.pathname);
  await expect(viewer.getByRole("heading", { name: "Join Team Goods" })).toBeVisible();
  await review(viewer, testInfo, "invite");
  await viewer.getByLabel("Password").fill("the viewer's passphrase");
  await viewer.getByRole("button", { name: "Accept invitation" }).click();
  await expect(viewer).toHaveURL(/\/dashboard$/);
  await expect(viewer.getByText("Viewer", { exact: true })).toBeVisible();

  await viewer.goto("/dashboard/orders");
  await viewer.getByRole("row").filter({ hasText: "Team course" }).getByRole("link").first().click();
  await expect(viewer).toHaveURL(/\/dashboard\/orders\/ord_/);
  await expect(viewer.getByRole("heading", { level: 1 })).toHaveText("$30.00");
  await expect(viewer.getByRole("region", { name: "Refund" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Check with Whop" })).toHaveCount(0);
  await review(viewer, testInfo, "order-as-viewer");

  // The link worked once.
  await viewer.goto(invitation.pathname);
  await expect(viewer.getByText("This invitation was already accepted.")).toBeVisible();
});

test("an owner requires two-factor: a member without it reaches only Settings until they set it up", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page, "Strict Goods");
  await page.goto("/dashboard/settings");
  await turnOnTwoFactor(page);
  await page.getByRole("link", { name: /Team: members, roles and invitations/ }).click();
  const adminEmail = uniqueEmail("admin");
  await page.getByLabel("Email").fill(adminEmail);
  await page.getByLabel("Role").selectOption("admin");
  await page.getByRole("button", { name: "Send invitation" }).click();
  const invitation = new URL(await page.getByLabel("Invitation link").inputValue());
  await page.getByRole("button", { name: "Require two-factor" }).click();
  await expect(page.getByText("Two-factor is now required. Every member has it on.")).toBeVisible();

  const admin = await (await browser.newContext()).newPage();
  await admin.goto(invitation.pathname);
  await admin.getByLabel("Password").fill("the admin's passphrase");
  await admin.getByRole("button", { name: "Accept invitation" }).click();
  await expect(admin).toHaveURL(/\/dashboard\/settings\?two-factor=required$/);
  await expect(admin.getByText("The owners of Strict Goods require two-factor authentication.")).toBeVisible();
  await expect(admin.getByRole("heading", { name: "Audit log" })).toHaveCount(0);
  await review(admin, testInfo, "two-factor-required");
  await admin.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Orders" }).click();
  await expect(admin).toHaveURL(/\/dashboard\/settings\?two-factor=required$/);

  await page.reload();
  await expect(page.getByRole("listitem").filter({ hasText: adminEmail })).toContainText("two-factor off");
  await review(page, testInfo, "team-two-factor-required");

  await turnOnTwoFactor(admin);
  await admin.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Orders" }).click();
  await expect(admin.getByRole("heading", { name: "Orders", level: 1 })).toBeVisible();
});
