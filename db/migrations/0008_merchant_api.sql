CREATE TABLE "api_tokens" (
	"id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"token_hint" text NOT NULL,
	"created_by_user_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "membership_status" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "membership_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "license_key_hash" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "license_key_hint" text;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_key" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "api_tokens_tenant_created_idx" ON "api_tokens" USING btree ("tenant_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_tenant_item_buyer_email_idx" ON "orders" USING btree ("tenant_id","item_id",lower("buyer_email"));--> statement-breakpoint
CREATE INDEX "orders_tenant_item_user_idx" ON "orders" USING btree ("tenant_id","item_id","whop_user_id");--> statement-breakpoint
CREATE INDEX "orders_tenant_license_idx" ON "orders" USING btree ("tenant_id","license_key_hash");