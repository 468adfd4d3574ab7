import type { Environment } from "@/db/schema";

/*
 * Test mode, on every page of the merchant's: the header's switch between the account's two
 * environments, and the stripe that marks every page in Test.
 */

type SwitchAction = (formData: FormData) => Promise<void>;

/** **Switch to Test** / **Switch to Live**: the one that applies. `next` is where the switch lands (the dashboard, or the wizard). */
export function EnvironmentSwitch({ environment, action, next }: { environment: Environment; action: SwitchAction; next: "/dashboard" | "/onboarding" }) {
  const target: Environment = environment === "test" ? "live" : "test";
  const tone =
    environment === "test"
      ? "bg-amber-400 text-amber-950 ring-amber-500 hover:bg-amber-300"
      : "text-zinc-700 ring-zinc-300 hover:bg-zinc-100";
  return (
    <form action={action}>
      <input type="hidden" name="environment" value={target} />
      <input type="hidden" name="next" value={next} />
      <button className={`whitespace-nowrap rounded-md px-2 py-1 text-xs font-medium ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-brand-500 ${tone}`}>
        {target === "test" ? "Switch to Test" : "Switch to Live"}
      </button>
    </form>
  );
}

/** The stripe across the top of every page in Test: what the merchant sees is Whop's sandbox, never their live business. */
export function TestModeBanner() {
  return (
    <div role="note" aria-label="Test mode" className="border-b border-amber-500 bg-amber-400 text-sm text-amber-950">
      <p className="mx-auto max-w-5xl px-4 py-1.5">
        <strong className="font-semibold">Test mode</strong>
        <span className="hidden sm:inline"> · Whop&apos;s sandbox: test keys and test payments, no real money.</span>
        <span className="sm:hidden"> · Whop&apos;s sandbox, no real money.</span>
      </p>
    </div>
  );
}
