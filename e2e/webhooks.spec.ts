import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import { connectedMerchant, review } from "./helpers";

/** The merchant's own app: a local receiver recording every delivery (WEBHOOK_ALLOW_PRIVATE_URLS=1 in playwright.config.ts). */
async function receiver() {
  const received: { headers: Record<string, string>; body: string }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers as Record<string, string>, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(200, { "content-type": "text/plain" }).end("received by the members area");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whop`, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

test("the merchant adds an endpoint, sees its secret once, sends a signed test event, reads the log, resends, rotates, disables, enables and deletes it", async ({ page }, testInfo) => {
  const app = await receiver();
  await connectedMerchant(page);
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();

  await page.getByLabel("Endpoint URL").fill("ftp://example.com/hook");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText("The URL must start with https://.")).toBeVisible();

  await page.getByLabel("Endpoint URL").fill(app.url);
  await expect(page.getByRole("checkbox", { name: "order.paid" })).toBeChecked();
  await page.getByRole("checkbox", { name: "order.expired" }).uncheck();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText("Endpoint added. Copy its signing secret now: it is shown only once.")).toBeVisible();
  const secret = await page.getByLabel("Signing secret").inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const endpoint = page.getByRole("listitem", { name: app.url });
  await expect(endpoint.getByText("Enabled")).toBeVisible();
  await review(page, testInfo, "01-endpoint-added");

  await endpoint.getByRole("button", { name: "Send test event" }).click();
  await expect(endpoint.getByText("Test event delivered: your endpoint answered 200.")).toBeVisible();
  expect(app.received).toHaveLength(1);
  expect(new Webhook(secret).verify(app.received[0]!.body, app.received[0]!.headers)).toMatchObject({ type: "webhook.test" });

  // Shown once: after a reload no secret is on the page.
  await page.reload();
  expect(await page.content()).not.toContain(secret.slice(6));

  await page.getByRole("listitem", { name: app.url }).getByRole("link", { name: "Delivery log →" }).click();
  await expect(page.getByRole("heading", { name: app.url, level: 1 })).toBeVisible();
  await expect(page.getByText("webhook.test")).toBeVisible();
  await expect(page.getByText("HTTP 200")).toBeVisible();
  await expect(page.getByText("attempt 1")).toBeVisible();
  await page.getByText("Response body (first 1 KiB)").click();
  await expect(page.getByText("received by the members area")).toBeVisible();
  await review(page, testInfo, "02-delivery-log");
  await page.getByRole("button", { name: /^Resend evt_/ }).click();
  await expect(page.getByText("Event delivered: your endpoint answered 200.")).toBeVisible();
  expect(app.received).toHaveLength(2);
  expect(app.received[1]!.headers["webhook-id"]).toBe(app.received[0]!.headers["webhook-id"]);

  await page.goto("/dashboard/webhooks");
  const row = page.getByRole("listitem", { name: app.url });
  await row.getByRole("button", { name: "Rotate secret" }).click();
  await expect(row.getByText(/^New signing secret: copy it now/)).toBeVisible();
  const rotated = await row.getByLabel("Signing secret").inputValue();
  expect(rotated).not.toBe(secret);
  await page.reload();
  await page.getByRole("listitem", { name: app.url }).getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByText("Test event delivered: your endpoint answered 200.")).toBeVisible();
  const last = app.received[app.received.length - 1]!;
  expect(new Webhook(rotated).verify(last.body, last.headers)).toMatchObject({ type: "webhook.test" });
  expect(new Webhook(secret).verify(last.body, last.headers)).toMatchObject({ type: "webhook.test" });

  await page.reload();
  await page.getByRole("listitem", { name: app.url }).getByRole("button", { name: "Disable" }).click();
  await expect(page.getByText("Endpoint disabled: it receives nothing until you enable it again.")).toBeVisible();
  await page.reload();
  await expect(page.getByRole("listitem", { name: app.url }).getByText("Disabled")).toBeVisible();
  await page.getByRole("listitem", { name: app.url }).getByRole("button", { name: "Enable" }).click();
  await expect(page.getByText("Endpoint enabled.")).toBeVisible();

  await page.reload();
  await page.getByRole("button", { name: `Delete ${app.url}` }).click();
  await page.getByRole("button", { name: "Delete now" }).click();
  await expect(page.getByText("No endpoints yet.")).toBeVisible();
  await app.close();
});
