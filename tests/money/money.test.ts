import { describe, expect, it } from "vitest";
import { formatMoney, fromMajorString, parsePrice, toMajorString, toMajorUnits } from "@/lib/money";

describe("parsePrice", () => {
  it.each([
    ["29.99", "usd", 2999],
    ["29.9", "usd", 2990],
    ["29", "usd", 2900],
    ["29.90", "eur", 2990],
    ["0.01", "usd", 1],
    [" 1,299.00 ", "usd", 129900],
    ["1500", "jpy", 1500],
    ["1500.00", "jpy", 1500],
    ["9.750", "kwd", 9750],
    ["9.75", "kwd", 9750],
    ["999999.99", "usd", 99999999],
  ])("%j %s → %d minor units", (text, currency, minor) => {
    expect(parsePrice(text, currency)).toEqual({ ok: true, minor });
  });

  it.each([
    ["", "usd", "Enter a price, e.g. 29.99."],
    ["-5", "usd", "The price must be more than zero."],
    ["0", "usd", "The price must be more than zero."],
    ["0.00", "eur", "The price must be more than zero."],
    ["29.999", "usd", "USD prices have at most 2 decimals."],
    ["1500.5", "jpy", "JPY prices are whole numbers (no decimals)."],
    ["9.7501", "kwd", "KWD prices have at most 3 decimals."],
    ["1000000", "usd", "The price is too large; the maximum is $999,999.99."],
    ["99999999999999999", "usd", "The price is too large; the maximum is $999,999.99."],
    ["abc", "usd", "Enter the price as a number, e.g. 29.99."],
    ["29,99", "eur", "Enter the price as a number, e.g. 29.99."],
    ["1e3", "usd", "Enter the price as a number, e.g. 29.99."],
    ["$29", "usd", "Enter the price as a number, e.g. 29.99."],
    ["12", "xyz", "Unsupported currency “XYZ”."],
  ])("%j %s → %j", (text, currency, message) => {
    expect(parsePrice(text, currency)).toEqual({ ok: false, message });
  });
});

describe("major units at the Whop boundary", () => {
  it("turns minor units into exact decimals", () => {
    expect(toMajorString(2999, "usd")).toBe("29.99");
    expect(toMajorString(5, "usd")).toBe("0.05");
    expect(toMajorString(1500, "jpy")).toBe("1500");
    expect(toMajorString(9750, "kwd")).toBe("9.750");
    expect(toMajorUnits(2999, "usd")).toBe(29.99);
    expect(toMajorUnits(1, "bhd")).toBe(0.001);
  });

  it("reads Whop's decimals back exactly, refusing what does not fit the currency", () => {
    expect(fromMajorString("29.99", "usd")).toBe(2999);
    expect(fromMajorString("10.5", "usd")).toBe(1050);
    expect(fromMajorString("1500", "jpy")).toBe(1500);
    expect(fromMajorString("0.1", "usd")).toBe(10);
    expect(fromMajorString("29.999", "usd")).toBeUndefined();
    expect(fromMajorString("abc", "usd")).toBeUndefined();
  });
});

describe("formatMoney", () => {
  it("formats with the currency's own decimals", () => {
    expect(formatMoney(2999, "usd")).toBe("$29.99");
    expect(formatMoney(2990, "eur")).toBe("€29.90");
    expect(formatMoney(1500, "jpy")).toBe("¥1,500");
    expect(formatMoney(9750, "kwd")).toBe("KWD\u00a09.750");
  });
});
