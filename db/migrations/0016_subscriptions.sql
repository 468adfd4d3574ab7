CREATE TYPE "public"."subscription_state" AS ENUM('trialing', 'active', 'past_due', 'canceling', 'canceled', 'expired');--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "billing_period_days" integer;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "trial_period_days" integer;--> statement-breakpoint
ALTER TABLE "ledger_payments" ADD COLUMN "whop_created_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ledger_payments" ADD COLUMN "renewal" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "billing_period_days" integer;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "trial_period_days" integer;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "subscription_state" "subscription_state";--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "current_period_end" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "cancel_at_period_end" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "subscription_ended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "subscription_action" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "subscription_action_state" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "subscription_action_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "ledger_payments_tenant_paid_idx" ON "ledger_payments" USING btree ("tenant_id","paid_at","currency","amount_minor","order_id") WHERE status = 'succeeded';--> statement-breakpoint
CREATE INDEX "ledger_payments_tenant_renewals_idx" ON "ledger_payments" USING btree ("tenant_id","paid_at") WHERE renewal;--> statement-breakpoint
CREATE INDEX "orders_tenant_subscriptions_idx" ON "orders" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE billing_period_days is not null;--> statement-breakpoint
CREATE INDEX "orders_tenant_subscription_state_idx" ON "orders" USING btree ("tenant_id","subscription_state","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE billing_period_days is not null;--> statement-breakpoint
CREATE INDEX "orders_tenant_mrr_idx" ON "orders" USING btree ("tenant_id","subscription_state","currency","billing_period_days","amount_minor") WHERE billing_period_days is not null;--> statement-breakpoint
CREATE INDEX "orders_tenant_subscription_ended_idx" ON "orders" USING btree ("tenant_id","subscription_ended_at") WHERE subscription_ended_at is not null;--> statement-breakpoint
CREATE INDEX "orders_tenant_membership_idx" ON "orders" USING btree ("tenant_id","whop_membership_id");