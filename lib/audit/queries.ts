import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { keysetBefore } from "@/db/keyset";
import { db, plannedPerRun } from "@/db/client";
import { auditLog, tenants, users, type AuditEntry } from "@/db/schema";
import { accountMembers } from "@/db/schema-auth";
import type { AuditAction } from "./log";

export const AUDIT_PAGE_SIZE = 25;

const ACTION_LABELS: Record<AuditAction, string> = {
  "account.created": "Account created",
  "login.succeeded": "Logged in",
  "login.failed": "Failed login",
  "whop.key_connected": "Whop key connected",
  "whop.key_replaced": "Whop key replaced",
  "whop.key_rejected": "Whop key rejected",
  "item.created": "Item created",
  "item.updated": "Item updated",
  "item.deactivated": "Item deactivated",
  "item.activated": "Item activated",
  "webhook.secret_saved": "Webhook secret saved",
  "webhook.auto_created": "Webhook created automatically",
  "webhook.events_updated": "Webhook events updated",
  "order.reconciled": "Order checked with Whop",
  "order.refund_requested": "Refund requested",
  "order.payment_accepted": "Payment with a different amount accepted",
  "order.membership_cancel_requested": "Membership cancellation requested",
  "subscription.cancel_at_period_end_requested": "Subscription cancellation at period end requested",
  "subscription.cancel_now_requested": "Subscription canceled now (requested)",
  "subscription.resume_requested": "Subscription resume requested",
  "webhook.event_reapplied": "Webhook event applied again",
  "password.changed": "Password changed",
  "password.change_failed": "Failed password change",
  "sessions.revoked": "Logged out everywhere",
  "session.ended": "Session ended",
  "password.reset_requested": "Password reset requested",
  "password.reset": "Password reset",
  "email.verified": "Email verified",
  "api_token.created": "API token created",
  "api_token.revoked": "API token revoked",
  "publishable_key.rotated": "Publishable key rotated",
  "license.activations_reset": "License activations reset",
  "webhook_endpoint.created": "Webhook endpoint added",
  "webhook_endpoint.secret_rotated": "Webhook endpoint secret rotated",
  "webhook_endpoint.disabled": "Webhook endpoint disabled",
  "webhook_endpoint.enabled": "Webhook endpoint enabled",
  "webhook_endpoint.deleted": "Webhook endpoint deleted",
  "login.second_factor_failed": "Failed two-factor code at login",
  "session.reauthenticated": "Identity confirmed",
  "two_factor.enabled": "Two-factor authentication turned on",
  "two_factor.disabled": "Two-factor authentication turned off",
  "two_factor.recovery_codes_regenerated": "New recovery codes made",
  "two_factor.requirement_changed": "Two-factor requirement changed",
  "invitation.sent": "Invitation sent",
  "invitation.revoked": "Invitation revoked",
  "invitation.accepted": "Invitation accepted",
  "member.role_changed": "Member's role changed",
  "member.removed": "Member removed",
  "member.left": "Member left the account",
  "two_factor.recovery_code_used": "Recovery code used",
};

/** The human name of an action; an action this code does not know (yet) shows as stored. */
export function auditActionLabel(action: string): string {
  return Object.hasOwn(ACTION_LABELS, action) ? ACTION_LABELS[action as AuditAction] : action;
}

/*
 * Only these detail fields are ever shown, whatever else a row holds: hints (last four
 * characters), ids and titles. A field added to `detail` later stays hidden until it is listed.
 */
const SHOWN_DETAILS: [field: string, label: string][] = [
  ["title", "Item"],
  ["itemId", "Item id"],
  ["orderId", "Order"],
  ["outcome", "Outcome"],
  ["amount", "Amount"],
  ["reason", "Reason"],
  ["mode", "Cancellation"],
  ["companyId", "Company"],
  ["keyHint", "Key ending in"],
  ["previousKeyHint", "Previous key ending in"],
  ["secretHint", "Secret ending in"],
  ["previousSecretHint", "Previous secret ending in"],
  ["webhookId", "Webhook"],
  ["tokenName", "Token"],
  ["tokenHint", "Token ending in"],
  ["endpointUrl", "Endpoint"],
  ["resent", "Events resent"],
  ["method", "With"],
  ["codesLeft", "Recovery codes left"],
  ["requirement", "Two-factor"],
];

export interface AuditDetail {
  label: string;
  value: string;
}

export function auditDetails(detail: Record<string, unknown>): AuditDetail[] {
  const shown: AuditDetail[] = [];
  for (const [field, label] of SHOWN_DETAILS) {
    const value = detail[field];
    if ((typeof value === "string" && value !== "") || typeof value === "number") shown.push({ label, value: String(value) });
  }
  return shown;
}

export interface AuditRow {
  id: number;
  createdAt: Date;
  action: string;
  label: string;
  /** The actor's email while that user still exists; null otherwise (or for system entries). */
  actorEmail: string | null;
  details: AuditDetail[];
  ip: string | null;
}

interface Cursor {
  createdAt: Date;
  id: number;
}

export const auditCursorSchema = z.string().max(200).optional().catch(undefined);

function encodeCursor(entry: Pick<AuditEntry, "createdAt" | "id">): string {
  return Buffer.from(`${entry.createdAt.toISOString()}|${entry.id}`).toString("base64url");
}

function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text) return undefined;
  const [iso, id] = Buffer.from(text, "base64url").toString("utf8").split("|");
  const createdAt = new Date(iso ?? "");
  return id && /^\d{1,18}$/.test(id) && !Number.isNaN(createdAt.getTime()) ? { createdAt, id: Number(id) } : undefined;
}

/**
 * The tenant's audit trail, newest first, keyset-paginated on (created_at, id): entries written
 * in one transaction share a timestamp, and the id breaks the tie so none is skipped or repeated.
 */
export async function listAuditEntries(
  tenantId: string,
  cursor: string | undefined,
  pageSize = AUDIT_PAGE_SIZE,
): Promise<{ entries: AuditRow[]; nextCursor: string | null }> {
  const conditions: SQL[] = [eq(auditLog.tenantId, tenantId)];
  const after = decodeCursor(cursor);
  if (after) {
    conditions.push(keysetBefore(auditLog.createdAt, auditLog.id, after.createdAt, after.id));
  }
  const rows = await plannedPerRun(db(), (tx) =>
    tx
      .select({ entry: auditLog, actorEmail: users.email })
      .from(auditLog)
      // The email only of a user who is (still) a member of the tenant's account: a user id written
      // by hand or a removed member shows no one else's address.
      .leftJoin(
        users,
        and(
          eq(users.id, auditLog.actorUserId),
          sql`exists (select 1 from ${accountMembers} join ${tenants} on ${tenants.accountId} = ${accountMembers.accountId} where ${tenants.id} = ${auditLog.tenantId} and ${accountMembers.userId} = ${users.id})`,
        ),
      )
      .where(and(...conditions))
      .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
      .limit(pageSize + 1),
  );
  const page = rows.slice(0, pageSize);
  return {
    entries: page.map(({ entry, actorEmail }) => ({
      id: entry.id,
      createdAt: entry.createdAt,
      action: entry.action,
      label: auditActionLabel(entry.action),
      actorEmail,
      details: auditDetails(entry.detail),
      ip: entry.ip,
    })),
    nextCursor: rows.length > pageSize ? encodeCursor(page[page.length - 1]!.entry) : null,
  };
}
