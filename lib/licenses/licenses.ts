import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { db, type Executor, type Transaction } from "@/db/client";
import { items, licenseActivations, orders, type Item, type LicenseActivation, type Order } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { randomBase62 } from "@/lib/ids";
import { orderAccess, type AccessState } from "@/lib/ledger/access";
import { licenseKeyDigest, parseLicenseKey } from "./keys";
import { takeLicenseAttempt, type LicenseCaller, type LicenseThrottled } from "./throttle";

/*
 * What a merchant's app asks of a license key: validate it, activate it on one of the buyer's
 * machines (up to the item's Activation limit), deactivate one. A key is valid exactly when its
 * order grants access (lib/ledger/access.ts). Every question is counted by the throttles first
 * (./throttle.ts); unknown keys and known ones then take the same statements, so the time an
 * answer takes tells neither apart.
 */

const licenseKey = z.string().trim().min(1, "is required").max(200, "is longer than any license key");
const activationId = z.string().trim().regex(/^act_[A-Za-z0-9]{20}$/, "must be an activation id such as act_… (from /licenses/activate)");

export const validateBodySchema = z.object({ license_key: licenseKey, activation_id: activationId.optional() });
export const activateBodySchema = z.object({
  license_key: licenseKey,
  instance_name: z.string().trim().min(1, "is required: name the machine or install, e.g. the computer's name").max(120, "is longer than 120 characters"),
});
export const deactivateBodySchema = z.object({ license_key: licenseKey, activation_id: activationId });

export interface ActivationView {
  id: string;
  instance_name: string;
  created_at: string;
}

export interface LicenseView {
  valid: boolean;
  reason: "invalid" | "expired" | "activation_not_found" | null;
  item: Pick<Item, "id" | "title">;
  membership: { order_id: string; whop_membership_id: string | null; state: AccessState; whop_status: string | null; expires_at: string | null };
  activations: { used: number; limit: number | null };
  activation: ActivationView | null;
}

export type UnknownLicense = { valid: false; reason: "unknown_license" | "mistyped_license" };
export type ValidateAnswer = LicenseView | UnknownLicense | LicenseThrottled;

type FoundLicense = { order: Order; item: Pick<Item, "id" | "title" | "activationLimit">; used: number; activation: LicenseActivation | null };

/** The license's order, item and live activations count, in one statement whatever the key. */
async function findLicense(executor: Executor, tenantId: string, digest: string, lock: boolean): Promise<FoundLicense | undefined> {
  const query = executor
    .select({
      order: orders,
      item: { id: items.id, title: items.title, activationLimit: items.activationLimit },
      used: sql<number>`(select count(*)::int from ${licenseActivations} where ${licenseActivations.tenantId} = ${orders.tenantId} and ${licenseActivations.orderId} = ${orders.id} and ${licenseActivations.deactivatedAt} is null)`,
    })
    .from(orders)
    .innerJoin(items, and(eq(items.tenantId, orders.tenantId), eq(items.id, orders.itemId)))
    .where(and(eq(orders.tenantId, tenantId), eq(orders.licenseKeyHash, digest)))
    .orderBy(desc(orders.createdAt))
    .limit(1);
  if (!lock) {
    const [row] = await query;
    return row ? { ...row, used: Number(row.used), activation: null } : undefined;
  }
  // Activations of one license are counted and added under its order's row lock: of ten at once,
  // only the limit's worth pass. Counted again once the lock is held: a statement that waited for
  // the lock still sees the activations as they were when it began.
  const [row] = await query.for("update", { of: orders });
  if (!row) return undefined;
  const [live] = await executor
    .select({ used: sql<number>`count(*)::int` })
    .from(licenseActivations)
    .where(and(eq(licenseActivations.tenantId, tenantId), eq(licenseActivations.orderId, row.order.id), isNull(licenseActivations.deactivatedAt)));
  return { ...row, used: Number(live?.used ?? 0), activation: null };
}

function view(found: FoundLicense, now: Date, activation: LicenseActivation | null, activationAsked: boolean): LicenseView {
  const access = orderAccess(found.order, now);
  const reason = !access.access ? (access.state === "expired" ? "expired" : "invalid") : activationAsked && !activation ? "activation_not_found" : null;
  return {
    valid: reason === null,
    reason,
    item: { id: found.item.id, title: found.item.title },
    membership: {
      order_id: found.order.id,
      whop_membership_id: found.order.whopMembershipId,
      state: access.state,
      whop_status: found.order.membershipStatus,
      expires_at: found.order.membershipExpiresAt?.toISOString() ?? null,
    },
    activations: { used: found.used, limit: found.item.activationLimit },
    activation: activation && activationView(activation),
  };
}

function activationView(row: LicenseActivation): ActivationView {
  return { id: row.id, instance_name: row.instanceName, created_at: row.createdAt.toISOString() };
}

async function liveActivation(executor: Executor, tenantId: string, orderId: string, id: string | undefined): Promise<LicenseActivation | null> {
  if (!id) return null;
  const [row] = await executor
    .select()
    .from(licenseActivations)
    .where(and(eq(licenseActivations.tenantId, tenantId), eq(licenseActivations.orderId, orderId), eq(licenseActivations.id, id), isNull(licenseActivations.deactivatedAt)))
    .limit(1);
  return row ?? null;
}

/**
 * Counts the question (before any transaction, so that waiting for a row lock never holds the
 * counters' connection). A key of our shape with a failing checksum is a typo: answered without a
 * lookup, and it still counts as a failure.
 */
async function admit(caller: LicenseCaller, input: string): Promise<{ throttled: LicenseThrottled } | { unknown: UnknownLicense } | { digest: string; settle: (known: boolean, executor: Executor) => Promise<void> }> {
  const parsed = parseLicenseKey(input);
  const digest = licenseKeyDigest(input);
  const attempt = await takeLicenseAttempt(caller, digest);
  if (!attempt.allowed) return { throttled: attempt.throttled };
  if (parsed.kind === "mistyped") return { unknown: { valid: false, reason: "mistyped_license" } };
  return { digest, settle: attempt.settle };
}

/** Looks the admitted key up; a known key gives back the failure counted up front, an unknown one keeps it (the same statement either way). */
async function lookUp(executor: Executor, caller: LicenseCaller, admitted: { digest: string; settle: (known: boolean, executor: Executor) => Promise<void> }, lock: boolean) {
  const found = await findLicense(executor, caller.tenantId, admitted.digest, lock);
  await admitted.settle(found !== undefined, executor);
  return found;
}

const UNKNOWN: UnknownLicense = { valid: false, reason: "unknown_license" };

export async function validateLicense(caller: LicenseCaller, body: z.output<typeof validateBodySchema>, now = new Date()): Promise<ValidateAnswer> {
  const admitted = await admit(caller, body.license_key);
  if ("throttled" in admitted) return admitted.throttled;
  if ("unknown" in admitted) return admitted.unknown;
  const found = await lookUp(db(), caller, admitted, false);
  if (!found) return UNKNOWN;
  const activation = await liveActivation(db(), caller.tenantId, found.order.id, body.activation_id);
  return view(found, now, activation, body.activation_id !== undefined);
}

/** Admits the question, then runs `work` in a transaction holding the license's order row lock (unknown keys never reach it). */
async function withLockedLicense<T>(
  caller: LicenseCaller,
  input: string,
  work: (tx: Transaction, found: FoundLicense) => Promise<T>,
): Promise<T | LicenseThrottled | { kind: "unknown"; answer: UnknownLicense }> {
  const admitted = await admit(caller, input);
  if ("throttled" in admitted) return admitted.throttled;
  if ("unknown" in admitted) return { kind: "unknown", answer: admitted.unknown };
  return db().transaction(async (tx) => {
    const found = await lookUp(tx, caller, admitted, true);
    return found ? work(tx, found) : ({ kind: "unknown", answer: UNKNOWN } as const);
  });
}

export type ActivateAnswer =
  | { kind: "activated"; license: LicenseView }
  | { kind: "limit_reached"; license: LicenseView }
  | { kind: "not_valid"; license: LicenseView }
  | { kind: "unknown"; answer: UnknownLicense }
  | LicenseThrottled;

export async function activateLicense(caller: LicenseCaller, body: z.output<typeof activateBodySchema>, now = new Date()): Promise<ActivateAnswer> {
  return withLockedLicense(caller, body.license_key, async (tx, found) => {
    const current = view(found, now, null, false);
    if (!current.valid) return { kind: "not_valid", license: current } as const;
    if (found.item.activationLimit !== null && found.used >= found.item.activationLimit) return { kind: "limit_reached", license: current } as const;
    const [row] = await tx
      .insert(licenseActivations)
      .values({ tenantId: caller.tenantId, id: `act_${randomBase62(20)}`, orderId: found.order.id, instanceName: body.instance_name, createdAt: now })
      .returning();
    return { kind: "activated", license: view({ ...found, used: found.used + 1 }, now, row!, true) } as const;
  });
}

export type DeactivateAnswer = { kind: "deactivated"; license: LicenseView } | { kind: "activation_not_found" } | { kind: "unknown"; answer: UnknownLicense } | LicenseThrottled;

/** Frees one activation (a machine the buyer no longer uses); allowed whether or not the license is still valid. */
export async function deactivateLicense(caller: LicenseCaller, body: z.output<typeof deactivateBodySchema>, now = new Date()): Promise<DeactivateAnswer> {
  return withLockedLicense(caller, body.license_key, async (tx, found) => {
    const [row] = await tx
      .update(licenseActivations)
      .set({ deactivatedAt: now })
      .where(
        and(
          eq(licenseActivations.tenantId, caller.tenantId),
          eq(licenseActivations.orderId, found.order.id),
          eq(licenseActivations.id, body.activation_id),
          isNull(licenseActivations.deactivatedAt),
        ),
      )
      .returning();
    if (!row) return { kind: "activation_not_found" } as const;
    return { kind: "deactivated", license: view({ ...found, used: found.used - 1 }, now, null, false) } as const;
  });
}

/** The order page: the license's live activations, oldest first. */
export async function listActivations(tenantId: string, orderId: string, executor: Executor = db()): Promise<LicenseActivation[]> {
  return executor
    .select()
    .from(licenseActivations)
    .where(and(eq(licenseActivations.tenantId, tenantId), eq(licenseActivations.orderId, orderId), isNull(licenseActivations.deactivatedAt)))
    .orderBy(asc(licenseActivations.createdAt))
    .limit(500);
}

/** Reset activations (order page, Admin and Owner): every live activation of the order's license ends; audited. */
export async function resetActivations(actor: Actor, orderId: string): Promise<{ ok: true; count: number } | { ok: false; message: string }> {
  authorize(actor, "admin");
  return db().transaction(async (tx) => {
    const [order] = await tx
      .select({ id: orders.id, hint: orders.licenseKeyHint })
      .from(orders)
      .where(and(eq(orders.tenantId, actor.tenant.id), eq(orders.id, orderId)))
      .for("update");
    if (!order) return { ok: false, message: "That order does not exist." } as const;
    const ended = await tx
      .update(licenseActivations)
      .set({ deactivatedAt: new Date() })
      .where(and(eq(licenseActivations.tenantId, actor.tenant.id), eq(licenseActivations.orderId, orderId), isNull(licenseActivations.deactivatedAt)))
      .returning({ id: licenseActivations.id });
    await recordAudit(tx, {
      tenantId: actor.tenant.id,
      actorUserId: actor.userId,
      action: "license.activations_reset",
      ip: actor.ip,
      detail: { orderId, licenseKeyHint: order.hint, activations: ended.length },
    });
    return { ok: true, count: ended.length } as const;
  });
}
