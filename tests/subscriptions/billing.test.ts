import { describe, expect, it } from "vitest";
import { itemFormSchema } from "@/lib/items/items";
import { billingLabel, monthlyMinor, renewalPlanPrices } from "@/lib/subscriptions/billing";

const form = (fields: Record<string, string>) => itemFormSchema.safeParse({ title: "Club", price: "9.99", currency: "usd", ...fields });

describe("the item form's Billing and Free trial (days)", () => {
  it("is one-time without a trial by default", () => {
    const parsed = form({});
    expect(parsed.success && parsed.data).toMatchObject({ priceMinor: 999, billingPeriodDays: null, trialPeriodDays: null });
  });

  it("maps each billing choice to Whop's billing_period in days", () => {
    const days = ["weekly", "monthly", "quarterly", "yearly"].map((billing) => {
      const parsed = form({ billing });
      return parsed.success ? parsed.data.billingPeriodDays : "refused";
    });
    expect(days).toEqual([7, 30, 90, 365]);
  });

  it("takes a trial on a recurring item (0 or empty: none)", () => {
    const withTrial = form({ billing: "monthly", trialDays: " 7 " });
    expect(withTrial.success && withTrial.data).toMatchObject({ billingPeriodDays: 30, trialPeriodDays: 7 });
    const zero = form({ billing: "monthly", trialDays: "0" });
    expect(zero.success && zero.data.trialPeriodDays).toBeNull();
  });

  it("refuses a trial on a one-time item, a fractional, negative or too long trial, and an unknown billing", () => {
    const messages = [form({ trialDays: "7" }), form({ billing: "monthly", trialDays: "1.5" }), form({ billing: "monthly", trialDays: "-3" }), form({ billing: "monthly", trialDays: "366" }), form({ billing: "daily" })].map((parsed) =>
      parsed.success ? "accepted" : parsed.error.issues[0]!.message,
    );
    expect(messages).toEqual([
      "A free trial needs recurring billing: choose Weekly, Monthly, Every 3 months or Yearly.",
      "Enter a whole number of days from 0 to 365.",
      "Enter a whole number of days from 0 to 365.",
      "Enter a whole number of days from 0 to 365.",
      "Choose how often the buyer pays.",
    ]);
  });

  it("labels the stored period", () => {
    expect([null, 7, 30, 90, 365, 14].map(billingLabel)).toEqual(["One-time", "Weekly", "Monthly", "Every 3 months", "Yearly", "Every 14 days"]);
  });
});

describe("a renewal plan's prices (the one rule)", () => {
  it("sends initial_price 0 and the price as renewal_price, in major units", () => {
    expect(renewalPlanPrices(2999, "usd")).toEqual({ initialPrice: 0, renewalPrice: 29.99 });
    expect(renewalPlanPrices(1500, "jpy")).toEqual({ initialPrice: 0, renewalPrice: 1500 });
  });
});

describe("MRR normalisation per billing period", () => {
  it("counts weekly × 52 / 12, monthly × 1, every 3 months ÷ 3, yearly ÷ 12", () => {
    expect(monthlyMinor(1200, 7)).toBeCloseTo(5200);
    expect(monthlyMinor(999, 30)).toBe(999);
    expect(monthlyMinor(3000, 90)).toBe(1000);
    expect(monthlyMinor(12000, 365)).toBe(1000);
  });

  it("counts a period the form does not offer by its days", () => {
    expect(monthlyMinor(1400, 14)).toBe(3000);
  });
});
