import { mkdirSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { connectedMerchant, createItem, uniqueEmail } from "./helpers";

/*
 * Every dashboard page (the nav's destinations, webhooks, and an item's, an order's and an
 * endpoint's own page) on a phone (390 × 844): nothing scrolls sideways, no table scrolls inside
 * itself, and the header's destinations and Log out are all on screen. Screenshots at 390 and
 * 1280 px go to /tmp/phone-screens (or PHONE_SCREENS) for a person to look at; they are not kept.
 */

const SCREENS = process.env.PHONE_SCREENS ?? "/tmp/phone-screens";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

const nav = (page: Page) => page.getByRole("navigation", { name: "Dashboard" });

/** A buyer opens the checkout link and pays (or declines); waits until the order shows the outcome. */
async function buy(page: Page, browser: import("@playwright/test").Browser, link: string, title: string, outcome: "Pay" | "Decline", email?: string) {
  const context = await browser.newContext();
  const buyer = await context.newPage();
  await buyer.goto(link);
  if (email) await buyer.getByLabel("Email").fill(email);
  await buyer.getByRole("button", { name: outcome }).click();
  if (outcome === "Pay") await expect(buyer.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });
  await context.close();
  await expect(async () => {
    await page.goto("/dashboard/orders");
    await expect(page.getByRole("row").filter({ hasText: title }).getByText(outcome === "Pay" ? "Paid" : "Failed", { exact: true }).first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
}

/** At phone width: the page does not scroll sideways, tables fit, and the header's controls are on screen (soft: every page is checked and shot). */
async function checkPhone(page: Page, name: string) {
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    // A table (or the nav) wider than its box is cut off even when the page itself does not scroll.
    cut: [...document.querySelectorAll("table:not(.sr-only), nav")]
      .filter((el) => el.scrollWidth > el.clientWidth + 1 || (el.parentElement && el.getBoundingClientRect().width > el.parentElement.clientWidth + 1))
      .map((el) => `${el.tagName.toLowerCase()}${el.getAttribute("aria-label") ? `[${el.getAttribute("aria-label")}]` : ""}`),
  }));
  expect.soft(overflow.scrollWidth, `${name} at 390 px scrolls sideways`).toBeLessThanOrEqual(overflow.innerWidth);
  expect.soft(overflow.cut, `${name} at 390 px has cut-off tables or nav`).toEqual([]);

  const onScreen = async (locator: ReturnType<Page["getByRole"]>, label: string) => {
    await expect.soft(locator, `${label} on ${name}`).toBeVisible();
    const box = await locator.boundingBox();
    expect.soft(box?.x ?? -1, `${label} on ${name} starts on screen`).toBeGreaterThanOrEqual(0);
    expect.soft((box?.x ?? 0) + (box?.width ?? Infinity), `${label} on ${name} ends on screen`).toBeLessThanOrEqual(PHONE.width);
  };
  const links = nav(page).getByRole("link");
  expect(await links.count()).toBeGreaterThanOrEqual(7);
  for (const link of await links.all()) await onScreen(link, `nav link “${await link.innerText()}”`);
  await onScreen(page.getByRole("banner").getByRole("button", { name: "Log out", exact: true }), "Log out");

  // The stacked layout keeps the page accessible (WCAG 2 A/AA), as the desktop one is.
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  expect.soft(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), `accessibility of ${name} at 390 px`).toEqual([]);
}

async function screens(page: Page, name: string) {
  for (const [label, size] of [["390", PHONE], ["768", { width: 768, height: 900 }], ["1280", DESKTOP]] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `${SCREENS}/${name}-${label}.png`, fullPage: true });
  }
}

test("every dashboard page works at 390 px: no sideways scrolling, tables as stacked rows, the whole nav and Log out on screen", async ({ page, browser }) => {
  test.setTimeout(180_000);
  mkdirSync(SCREENS, { recursive: true });

  // A connected merchant with two items, a paid order, a failed one and a pending one, an API token.
  await connectedMerchant(page, "Northwind Prints & Posters International");
  const posters = await createItem(page, "Poster pack — twelve large-format prints", "12.00", "usd", "Twelve posters, shipped rolled in a tube.");
  const stickers = await createItem(page, "Sticker pack", "1500", "jpy");
  const itemId = await page.getByRole("listitem", { name: "Sticker pack" }).locator("code").innerText();
  await buy(page, browser, posters, "Poster pack", "Pay", uniqueEmail("a-rather-long-buyer-address"));
  await buy(page, browser, stickers, "Sticker pack", "Decline");
  const pending = await (await browser.newContext()).newPage();
  await pending.goto(stickers);
  await pending.context().close();

  await page.goto("/dashboard/api");
  await page.getByLabel("Name").fill("Members site on the production server");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByLabel("New API token")).toBeVisible();

  // An outbound webhook endpoint with a long URL (nothing listens there: its log stays empty).
  const hook = "http://127.0.0.1:9/hooks/members-area/receive-whop-connector-events";
  await page.goto("/dashboard/webhooks");
  await page.getByLabel("Endpoint URL").fill(hook);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText("Endpoint added.", { exact: false })).toBeVisible();
  const hookPath = (await page.getByRole("listitem", { name: hook }).getByRole("link", { name: "Delivery log →" }).getAttribute("href"))!;

  await page.goto("/dashboard/orders");
  await page.getByRole("row").filter({ hasText: "Poster pack" }).getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/orders\/ord_/);
  const orderPath = new URL(page.url()).pathname;

  // Every destination of the nav, plus the detail pages.
  await page.setViewportSize(PHONE);
  await page.goto("/dashboard");
  const destinations = await nav(page).getByRole("link").evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
  const pages = [...new Set([...destinations, "/dashboard/webhooks", hookPath, `/dashboard/items/${itemId}`, orderPath])];

  for (const path of pages) {
    await page.setViewportSize(PHONE);
    await page.goto(path);
    await expect(page.getByRole("main").getByRole("heading").first()).toBeVisible();
    const name = path.replace(/^\/dashboard\/?/, "").replace(/\/[a-z]+_[A-Za-z0-9]+$/, "-detail").replaceAll("/", "-") || "overview";
    await checkPhone(page, name);
    await screens(page, name);
  }

  // On a phone the orders are stacked rows that still read as the table: each cell says what it is.
  await page.setViewportSize(PHONE);
  await page.goto("/dashboard/orders");
  const row = page.getByRole("row").filter({ hasText: "Poster pack" });
  await expect(row.getByText("Paid", { exact: true })).toBeVisible();
  await expect(row.getByRole("link").first()).toBeVisible();
  await expect(row.getByText(/^pay_/)).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "Amount" })).toBeHidden();

  // Every nav link works from a phone.
  for (const path of destinations) {
    await page.goto("/dashboard/settings");
    await nav(page).locator(`a[href="${path}"]`).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
  }

  // On the desktop the orders stay a table with visible column headers.
  await page.setViewportSize(DESKTOP);
  await page.goto("/dashboard/orders");
  await expect(page.getByRole("columnheader", { name: "Amount" })).toBeVisible();
});
