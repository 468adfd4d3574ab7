import { expect, test } from "@playwright/test";
import { connectedMerchant, createItem, review, snap, uniqueEmail } from "./helpers";

test("the merchant creates an API token, their app sees the buyer's access once Whop confirms the payment, and a revoked token stops working", async ({ page, browser }, testInfo) => {
  await connectedMerchant(page);
  const link = await createItem(page, "Members area", "12.00", "usd");
  const itemId = await page.getByRole("listitem", { name: "Members area" }).locator("code").innerText();
  expect(itemId).toMatch(/^item_/);

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API" }).click();
  await expect(page.getByRole("heading", { name: "API", level: 1 })).toBeVisible();
  await page.getByLabel("Name").fill("Members site");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Token “Members site” created. Copy it now: it is shown only once.")).toBeVisible();
  const token = await page.getByLabel("New API token").inputValue();
  expect(token).toMatch(/^whc_[A-Za-z0-9]{38}$/);
  await snap(page, testInfo, "01-api-token-created");

  const api = (path: string, bearer = token) => page.request.get(path, { headers: { authorization: `Bearer ${bearer}` } });
  const buyerEmail = uniqueEmail("buyer");
  const accessPath = `/api/v1/access?${new URLSearchParams({ item: itemId, email: buyerEmail })}`;
  expect(await (await api(accessPath)).json()).toMatchObject({ access: false, membership: null });

  const buyer = await (await browser.newContext()).newPage();
  await buyer.goto(link);
  await buyer.getByLabel("Email").fill(buyerEmail);
  await buyer.getByRole("button", { name: "Pay" }).click();
  await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });

  await expect(async () => {
    expect(await (await api(accessPath)).json()).toMatchObject({ access: true, item: { id: itemId, title: "Members area" }, membership: { state: "valid", whop_status: "active" } });
  }).toPass({ timeout: 15_000 });
  const orders = await (await api("/api/v1/orders?limit=10")).json();
  expect(orders).toMatchObject({ object: "list", next_cursor: null, data: [{ item: { id: itemId }, status: "paid", amount: "12.00", currency: "usd", buyer_email: buyerEmail }] });
  expect(await (await api(`/api/v1/orders/${orders.data[0].id}`)).json()).toMatchObject({ id: orders.data[0].id, status: "paid" });

  // The token is shown once: after a reload only its last four characters remain, with when it was last used.
  await page.reload();
  const row = page.getByRole("listitem", { name: "Members site" });
  await expect(row.getByText(`whc_…${token.slice(-4)}`)).toBeVisible();
  await expect(row.getByText("Never")).toHaveCount(0);
  await expect(page.getByLabel("New API token")).toHaveCount(0);
  await review(page, testInfo, "02-api-tokens-list");

  await row.getByRole("button", { name: "Revoke Members site" }).click();
  await row.getByRole("button", { name: "Revoke now" }).click();
  await expect(row.getByText("Revoked", { exact: true })).toBeVisible();
  await expect(row.getByRole("button", { name: "Revoke Members site" })).toHaveCount(0);
  await snap(page, testInfo, "03-api-token-revoked");
  const revoked = await api(accessPath);
  expect(revoked.status()).toBe(401);
  expect(await revoked.json()).toMatchObject({ error: { code: "invalid_token" } });

  const openapi = await page.request.get("/api/v1/openapi.json");
  expect(openapi.status()).toBe(200);
  expect(await openapi.json()).toMatchObject({ openapi: "3.1.0", paths: { "/api/v1/access": {} } });
});
