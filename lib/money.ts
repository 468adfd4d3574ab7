/**
 * Money is integer minor units plus a lowercase ISO 4217 currency everywhere inside the app;
 * decimal major units exist only at the Whop boundary (`toMajorUnits`) and in forms (`parsePrice`).
 */

/** Currencies an item can be priced in, with their minor-unit exponent (ISO 4217). */
export const CURRENCY_EXPONENTS = {
  usd: 2, eur: 2, gbp: 2, cad: 2, aud: 2, nzd: 2, chf: 2, sek: 2, nok: 2, dkk: 2, pln: 2, czk: 2,
  huf: 2, ron: 2, bgn: 2, try: 2, ils: 2, aed: 2, sar: 2, inr: 2, sgd: 2, hkd: 2, myr: 2, thb: 2,
  php: 2, mxn: 2, brl: 2, zar: 2,
  jpy: 0, krw: 0, vnd: 0, clp: 0, isk: 0,
  kwd: 3, bhd: 3, jod: 3, omr: 3, tnd: 3,
} as const satisfies Record<string, 0 | 2 | 3>;

export type Currency = keyof typeof CURRENCY_EXPONENTS;
export const CURRENCIES = Object.keys(CURRENCY_EXPONENTS) as Currency[];

/** The largest price we accept, in minor units (e.g. $999,999.99): anything above is a typo. */
export const MAX_PRICE_MINOR = 99_999_999;

export function isCurrency(code: string): code is Currency {
  return Object.hasOwn(CURRENCY_EXPONENTS, code);
}

export function exponentOf(currency: Currency): number {
  return CURRENCY_EXPONENTS[currency];
}

export type ParsedPrice = { ok: true; minor: number } | { ok: false; message: string };

/** Parses what a merchant types ("29.99", "1,299", "  5 ") into minor units of `currency`. */
export function parsePrice(text: string, currency: string): ParsedPrice {
  if (!isCurrency(currency)) return { ok: false, message: `Unsupported currency “${currency.toUpperCase()}”.` };
  const code = currency.toUpperCase();
  const value = text.trim();
  if (value === "") return { ok: false, message: "Enter a price, e.g. 29.99." };
  if (/^-/.test(value)) return { ok: false, message: "The price must be more than zero." };
  // Thousands separators are allowed only in their proper places (1,299.00).
  const match = value.match(/^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/);
  if (!match) return { ok: false, message: `Enter the price as a number, e.g. ${example(currency)}.` };

  const exponent = exponentOf(currency);
  const whole = match[1]!.replaceAll(",", "");
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > exponent) {
    return {
      ok: false,
      message: exponent === 0 ? `${code} prices are whole numbers (no decimals).` : `${code} prices have at most ${exponent} decimals.`,
    };
  }
  if (whole.length > 12) return { ok: false, message: `The price is too large; the maximum is ${formatMoney(MAX_PRICE_MINOR, currency)}.` };
  const minor = Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, "0") || "0");
  if (minor === 0) return { ok: false, message: "The price must be more than zero." };
  if (minor > MAX_PRICE_MINOR) return { ok: false, message: `The price is too large; the maximum is ${formatMoney(MAX_PRICE_MINOR, currency)}.` };
  return { ok: true, minor };
}

function example(currency: Currency): string {
  return exponentOf(currency) === 0 ? "1500" : exponentOf(currency) === 3 ? "9.750" : "29.99";
}

/** Decimal major units as Whop wants them (29.99 for 2999 usd cents; 1500 for 1500 jpy). */
export function toMajorUnits(minor: number, currency: Currency): number {
  return Number(toMajorString(minor, currency));
}

/** Exact decimal text of minor units ("29.99", "1500", "9.750"), no floating point involved. */
export function toMajorString(minor: number, currency: Currency): string {
  const exponent = exponentOf(currency);
  if (exponent === 0) return String(minor);
  const digits = String(Math.abs(minor)).padStart(exponent + 1, "0");
  return `${minor < 0 ? "-" : ""}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** Decimal text from Whop ("29.99", "10.5", "1500") to minor units; undefined when it is not exact. */
export function fromMajorString(text: string, currency: Currency): number | undefined {
  const match = text.trim().match(/^(\d+)(?:\.(\d+))?$/);
  if (!match) return undefined;
  const exponent = exponentOf(currency);
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > exponent) return undefined;
  return Number(match[1]) * 10 ** exponent + Number(fraction.padEnd(exponent, "0") || "0");
}

const formatters = new Map<string, Intl.NumberFormat>();

/** "$29.99", "¥1,500", "KWD 9.750". */
export function formatMoney(minor: number, currency: Currency): string {
  let formatter = formatters.get(currency);
  if (!formatter) {
    const exponent = exponentOf(currency);
    formatter = new Intl.NumberFormat("en-US", {
      style: "currency",
      currency: currency.toUpperCase(),
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    formatters.set(currency, formatter);
  }
  return formatter.format(minor / 10 ** exponentOf(currency));
}
