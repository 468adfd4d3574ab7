CREATE TYPE "public"."dispute_phase" AS ENUM('open', 'won', 'lost', 'closed');--> statement-breakpoint
CREATE TYPE "public"."ledger_payment_status" AS ENUM('pending', 'failed', 'succeeded');--> statement-breakpoint
CREATE TYPE "public"."refund_request_state" AS ENUM('reserved', 'requested', 'unknown', 'failed');--> statement-breakpoint
CREATE TYPE "public"."refund_status" AS ENUM('pending', 'requires_action', 'succeeded', 'failed', 'canceled');--> statement-breakpoint
CREATE TABLE "ledger_disputes" (
	"tenant_id" text NOT NULL,
	"id" text NOT NULL,
	"order_id" text,
	"payment_id" text NOT NULL,
	"phase" "dispute_phase" NOT NULL,
	"whop_status" text NOT NULL,
	"amount_minor" bigint,
	"currency" text,
	"reason" text,
	"needs_response_by" timestamp with time zone,
	"migrated" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_disputes_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "ledger_payments" (
	"tenant_id" text NOT NULL,
	"id" text NOT NULL,
	"order_id" text NOT NULL,
	"status" "ledger_payment_status" NOT NULL,
	"amount_minor" bigint,
	"subtotal_minor" bigint,
	"currency" text,
	"whop_status" text,
	"whop_substatus" text,
	"billing_reason" text,
	"paid_at" timestamp with time zone,
	"migrated" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_payments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "ledger_refunds" (
	"tenant_id" text NOT NULL,
	"id" text NOT NULL,
	"order_id" text,
	"payment_id" text NOT NULL,
	"status" "refund_status" NOT NULL,
	"amount_minor" bigint,
	"currency" text,
	"migrated" boolean DEFAULT false NOT NULL,
	"whop_created_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_refunds_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "refund_requests" (
	"tenant_id" text NOT NULL,
	"id" text NOT NULL,
	"order_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"state" "refund_request_state" DEFAULT 'reserved' NOT NULL,
	"whop_refund_id" text,
	"reason" text,
	"requested_by_user_id" text,
	"failure" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "refund_requests_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "status" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "status" SET DEFAULT 'pending'::text;--> statement-breakpoint
-- checkout_failed is no longer a status of its own: a checkout Whop refused is a failed order (its failure_reason says why).
UPDATE "orders" SET "status" = 'failed' WHERE "status" = 'checkout_failed';--> statement-breakpoint
DROP TYPE "public"."order_status";--> statement-breakpoint
CREATE TYPE "public"."order_status" AS ENUM('pending', 'expired', 'failed', 'paid', 'partially_refunded', 'refunded', 'disputed', 'dispute_lost');--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "status" SET DEFAULT 'pending'::"public"."order_status";--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "status" SET DATA TYPE "public"."order_status" USING "status"::"public"."order_status";--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "refund_pending" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "amount_accepted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "amount_accepted_by" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "license_key_ciphertext" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "expired_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ledger_disputes" ADD CONSTRAINT "ledger_disputes_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_payments" ADD CONSTRAINT "ledger_payments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_refunds" ADD CONSTRAINT "ledger_refunds_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund_requests" ADD CONSTRAINT "refund_requests_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_disputes_tenant_order_idx" ON "ledger_disputes" USING btree ("tenant_id","order_id");--> statement-breakpoint
CREATE INDEX "ledger_disputes_tenant_payment_idx" ON "ledger_disputes" USING btree ("tenant_id","payment_id");--> statement-breakpoint
CREATE INDEX "ledger_payments_tenant_order_idx" ON "ledger_payments" USING btree ("tenant_id","order_id");--> statement-breakpoint
CREATE INDEX "ledger_refunds_tenant_order_idx" ON "ledger_refunds" USING btree ("tenant_id","order_id");--> statement-breakpoint
CREATE INDEX "ledger_refunds_tenant_payment_idx" ON "ledger_refunds" USING btree ("tenant_id","payment_id");--> statement-breakpoint
CREATE INDEX "refund_requests_tenant_order_idx" ON "refund_requests" USING btree ("tenant_id","order_id");--> statement-breakpoint
-- Existing orders join the ledger: their payment becomes a payment row, the refund tally a refund
-- row marked as migrated (the ledger counts it until Whop's own refunds of that payment add up to
-- more), an open dispute a dispute row, and a refund asked of Whop but not confirmed a request.
INSERT INTO "ledger_payments" ("tenant_id", "id", "order_id", "status", "amount_minor", "subtotal_minor", "currency", "paid_at", "migrated")
SELECT "tenant_id", "whop_payment_id", "id",
  (CASE WHEN "status" = 'failed' THEN 'failed' ELSE 'succeeded' END)::"ledger_payment_status",
  coalesce("paid_minor", "amount_minor"), coalesce("paid_minor", "amount_minor"), coalesce("paid_currency", "currency"), "paid_at", true
FROM "orders"
WHERE "whop_payment_id" IS NOT NULL AND "status" IN ('paid', 'partially_refunded', 'refunded', 'disputed', 'failed');--> statement-breakpoint
INSERT INTO "ledger_refunds" ("tenant_id", "id", "order_id", "payment_id", "status", "amount_minor", "currency", "migrated")
SELECT "tenant_id", 'migrated_' || "id", "id", "whop_payment_id", 'succeeded', "refunded_minor", "currency", true
FROM "orders" WHERE "refunded_minor" > 0 AND "whop_payment_id" IS NOT NULL;--> statement-breakpoint
INSERT INTO "ledger_disputes" ("tenant_id", "id", "order_id", "payment_id", "phase", "whop_status", "migrated")
SELECT "tenant_id", 'migrated_' || "id", "id", "whop_payment_id", 'open', 'needs_response', true
FROM "orders" WHERE "status" = 'disputed' AND "whop_payment_id" IS NOT NULL;--> statement-breakpoint
INSERT INTO "refund_requests" ("tenant_id", "id", "order_id", "payment_id", "amount_minor", "currency", "state", "created_at")
SELECT "tenant_id", 'rrq_migrated_' || "id", "id", "whop_payment_id", "refund_requested_minor" - "refunded_minor", "currency", 'requested', coalesce("refund_requested_at", now())
FROM "orders" WHERE "refund_requested_minor" > "refunded_minor" AND "whop_payment_id" IS NOT NULL;--> statement-breakpoint
UPDATE "orders" SET "refund_pending" = true WHERE "refund_requested_minor" > "refunded_minor";--> statement-breakpoint
ALTER TABLE "orders" DROP COLUMN "refund_requested_minor";--> statement-breakpoint
ALTER TABLE "orders" DROP COLUMN "refund_requested_at";