CREATE TYPE "public"."signature_scheme" AS ENUM('standard', 'legacy', 'bare', 'reconcile');--> statement-breakpoint
CREATE TYPE "public"."webhook_result" AS ENUM('applied', 'ignored', 'failed');--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" bigserial NOT NULL,
	"tenant_id" text NOT NULL,
	"event_key" text NOT NULL,
	"event_type" text NOT NULL,
	"scheme" "signature_scheme" NOT NULL,
	"result" "webhook_result" NOT NULL,
	"detail" text,
	"order_id" text,
	"payload" text NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_duplicate_at" timestamp with time zone,
	CONSTRAINT "webhook_events_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "webhook_rejections" (
	"tenant_id" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	"last_reason" text,
	"last_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_rejections_tenant_id_hour_pk" PRIMARY KEY("tenant_id","hour")
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "membership_event_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_rejections" ADD CONSTRAINT "webhook_rejections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_tenant_key" ON "webhook_events" USING btree ("tenant_id","event_key");--> statement-breakpoint
CREATE INDEX "webhook_events_tenant_received_idx" ON "webhook_events" USING btree ("tenant_id","received_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhook_events_tenant_order_idx" ON "webhook_events" USING btree ("tenant_id","order_id");