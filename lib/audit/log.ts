import { sql } from "drizzle-orm";
import { accountMembers, auditLog, tenants } from "@/db/schema";
import type { Executor } from "@/db/client";

export type AuditAction =
  | "account.created"
  | "login.succeeded"
  | "login.failed"
  | "whop.key_connected"
  | "whop.key_replaced"
  | "whop.key_rejected"
  | "item.created"
  | "item.updated"
  | "item.deactivated"
  | "item.activated"
  | "webhook.secret_saved"
  | "webhook.auto_created"
  | "webhook.events_updated"
  | "order.reconciled"
  | "order.refund_requested"
  | "order.payment_accepted"
  | "order.membership_cancel_requested"
  | "subscription.cancel_at_period_end_requested"
  | "subscription.cancel_now_requested"
  | "subscription.resume_requested"
  | "webhook.event_reapplied"
  | "password.changed"
  | "password.change_failed"
  | "sessions.revoked"
  | "session.ended"
  | "password.reset_requested"
  | "password.reset"
  | "email.verified"
  | "api_token.created"
  | "api_token.revoked"
  | "publishable_key.rotated"
  | "license.activations_reset"
  | "webhook_endpoint.created"
  | "webhook_endpoint.secret_rotated"
  | "webhook_endpoint.disabled"
  | "webhook_endpoint.enabled"
  | "webhook_endpoint.deleted"
  | "login.second_factor_failed"
  | "session.reauthenticated"
  | "two_factor.enabled"
  | "two_factor.disabled"
  | "two_factor.recovery_codes_regenerated"
  | "two_factor.recovery_code_used"
  | "two_factor.requirement_changed"
  | "invitation.sent"
  | "invitation.revoked"
  | "invitation.accepted"
  | "member.role_changed"
  | "member.removed"
  | "member.left";

export interface AuditInput {
  tenantId: string;
  actorUserId: string | null;
  action: AuditAction;
  ip: string | null;
  /** Never a secret: hints and ids only. */
  detail?: Record<string, unknown>;
}

export async function recordAudit(executor: Executor, entry: AuditInput): Promise<void> {
  await executor.insert(auditLog).values({ ...entry, detail: entry.detail ?? {} });
}

/**
 * For what a user does to themselves (log-in, password, two-factor, sessions, email): one entry in
 * the trail of every tenant of every account they belong to, so each team sees its members'
 * security events. One statement.
 */
export async function recordUserAudit(executor: Executor, userId: string, entry: Omit<AuditInput, "tenantId" | "actorUserId">): Promise<void> {
  await executor.execute(sql`
    insert into ${auditLog} (tenant_id, actor_user_id, action, detail, ip)
    select ${tenants.id}, ${userId}, ${entry.action}, ${JSON.stringify(entry.detail ?? {})}::jsonb, ${entry.ip}
    from ${accountMembers} join ${tenants} on ${tenants.accountId} = ${accountMembers.accountId}
    where ${accountMembers.userId} = ${userId}`);
}
