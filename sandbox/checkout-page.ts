// The hosted checkout a buyer sees at `purchase_url`, rendered as plain HTML.
import type { CheckoutConfiguration, Company, Plan, Product } from "./state";
import { CURRENCY_DECIMALS } from "./validation";

export const DEFAULT_BUYER_EMAIL = "buyer@example.com";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

export function formatPrice(amount: number, currency: string): string {
  const decimals = CURRENCY_DECIMALS[currency] ?? 2;
  try {
    return new Intl.NumberFormat("en-US", {
      style: "currency",
      currency: currency.toUpperCase(),
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    }).format(amount);
  } catch {
    return `${amount.toFixed(decimals)} ${currency.toUpperCase()}`;
  }
}

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
    font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f4f5;color:#18181b}
  main{width:100%;max-width:420px;background:#fff;border-radius:14px;padding:28px;
    box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06)}
  .badge{display:inline-block;font-size:12px;font-weight:600;letter-spacing:.02em;color:#9a3412;
    background:#ffedd5;border-radius:999px;padding:3px 10px;margin-bottom:16px}
  h1{font-size:20px;margin:0 0 4px} .seller{color:#71717a;font-size:14px;margin:0 0 20px}
  .price{font-size:32px;font-weight:700;margin:0 0 20px}
  label{display:block;font-size:14px;font-weight:600;margin-bottom:6px}
  input[type=email]{width:100%;padding:10px 12px;border:1px solid #d4d4d8;border-radius:8px;font-size:15px;margin-bottom:18px}
  .actions{display:flex;gap:10px} button{flex:1;padding:11px;border-radius:8px;font-size:15px;font-weight:600;cursor:pointer;border:0}
  .pay{background:#ea580c;color:#fff} .decline{background:#f4f4f5;color:#3f3f46;border:1px solid #d4d4d8}
  .note{color:#71717a;font-size:12px;margin-top:18px} p{line-height:1.5}
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Whop local sandbox</title><style>${STYLE}</style></head>
<body><main><span class="badge">Local Whop sandbox: no real money moves</span>
${body}
</main></body></html>`;
}

export interface CheckoutPageInput {
  plan: Plan;
  product: Product | undefined;
  company: Company | undefined;
  checkout: CheckoutConfiguration | null;
}

export function renderCheckoutPage({ plan, product, company, checkout }: CheckoutPageInput): string {
  const title = plan.title ?? product?.title ?? "Checkout";
  const price =
    plan.planType === "one_time"
      ? formatPrice(plan.initialPrice, plan.currency)
      : `${formatPrice(plan.renewalPrice, plan.currency)} every ${plan.billingPeriod ?? 30} days` +
        (plan.initialPrice > 0 ? ` + ${formatPrice(plan.initialPrice, plan.currency)} today` : "") +
        (plan.trialPeriodDays ? `, ${plan.trialPeriodDays}-day free trial` : "");
  const session = checkout ? `<input type="hidden" name="session" value="${escapeHtml(checkout.id)}">` : "";
  const base = `/checkout/${encodeURIComponent(plan.id)}`;
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p class="seller">Sold by ${escapeHtml(company?.title ?? "a Whop seller")}</p>
<p class="price" data-testid="price">${escapeHtml(price)}</p>
<form method="post" action="${base}/pay">
  ${session}
  <label for="email">Email</label>
  <input id="email" name="email" type="email" value="buyer@example.com" required>
  <div class="actions">
    <button class="pay" type="submit">Pay</button>
    <button class="decline" type="submit" formaction="${base}/decline" formnovalidate>Decline</button>
  </div>
</form>
<p class="note">Pay succeeds at once; Decline simulates a declined card. Webhooks go to the webhooks registered for this company.</p>`,
  );
}

export function renderMessagePage(title: string, message: string, link?: { href: string; label: string }): string {
  const anchor = link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>` : "";
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${anchor}`);
}
