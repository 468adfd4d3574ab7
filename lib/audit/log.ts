import { auditLog } from "@/db/schema";
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
  | "two_factor.recovery_code_used";

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
