import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { problems, type Problem } from "@/db/schema";

/** What can go wrong for a merchant, each with the page where it gets fixed. */
export const PROBLEM_KINDS = {
  key_rejected: { title: "Whop rejected your API key", fixHref: "/dashboard/integrations/whop", fixLabel: "Replace the key" },
  key_permissions: { title: "Your API key lacks a Whop permission", fixHref: "/dashboard/integrations/whop", fixLabel: "Replace the key" },
  checkout_failed: { title: "Buyers' checkouts are failing", fixHref: "/dashboard/integrations/whop", fixLabel: "Check the integration" },
  webhook_secret_missing: { title: "Webhooks cannot be verified: no webhook secret saved", fixHref: "/dashboard/integrations/whop", fixLabel: "Save the webhook secret" },
  signature_failures: { title: "Webhook deliveries are failing signature checks", fixHref: "/dashboard/integrations/whop", fixLabel: "Check the webhook secret" },
  amount_mismatch: { title: "A payment's amount did not match its order", fixHref: "/dashboard", fixLabel: "Review the order" },
  unmatched_payment: { title: "Whop reported a payment that matches no order", fixHref: "/dashboard", fixLabel: "Review the events" },
  not_connected: { title: "A buyer opened a link while Whop is not connected", fixHref: "/onboarding", fixLabel: "Connect Whop" },
  webhook_endpoint_disabled: { title: "Your app's webhook endpoint was disabled", fixHref: "/dashboard/webhooks", fixLabel: "Re-enable it and resend what it missed" },
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** Records (or counts again) an open problem; a resolved one reopens. */
export async function reportProblem(tenantId: string, kind: ProblemKind, message: string, executor: Executor = db()): Promise<void> {
  await executor
    .insert(problems)
    .values({ tenantId, kind, message })
    .onConflictDoUpdate({
      target: [problems.tenantId, problems.kind],
      set: {
        message,
        lastSeenAt: sql`now()`,
        occurrences: sql`case when ${problems.resolvedAt} is null then ${problems.occurrences} + 1 else 1 end`,
        firstSeenAt: sql`case when ${problems.resolvedAt} is null then ${problems.firstSeenAt} else now() end`,
        resolvedAt: sql`null`,
      },
    });
}

export async function resolveProblems(tenantId: string, kinds: ProblemKind[], executor: Executor = db()): Promise<void> {
  for (const kind of kinds) {
    await executor
      .update(problems)
      .set({ resolvedAt: sql`now()` })
      .where(and(eq(problems.tenantId, tenantId), eq(problems.kind, kind), isNull(problems.resolvedAt)));
  }
}

export async function openProblems(tenantId: string): Promise<Problem[]> {
  return db()
    .select()
    .from(problems)
    .where(and(eq(problems.tenantId, tenantId), isNull(problems.resolvedAt)))
    .orderBy(desc(problems.lastSeenAt));
}
