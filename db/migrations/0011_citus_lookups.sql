-- Citus rules (README, "sharding by tenant"): what was unique across tenants moves to global
-- lookup tables; tenant tables keep only keys that include tenant_id.
CREATE TABLE "api_token_hashes" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"token_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "item_slugs" (
	"slug" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"item_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_public_ids" (
	"public_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_emails" (
	"email" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL
);
--> statement-breakpoint
-- Primary keys from (id) to (tenant_id, id); the old ones got Postgres's default names.
ALTER TABLE "audit_log" DROP CONSTRAINT "audit_log_pkey";--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_pkey";--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_tenant_id_id_pk" PRIMARY KEY("tenant_id","id");--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_id_pk" PRIMARY KEY("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "items_tenant_slug_key" ON "items" USING btree ("tenant_id","slug");--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_email_key" ON "users" USING btree ("tenant_id","email");--> statement-breakpoint
-- Backfill (hand-written): one lookup row per existing row, revoked tokens included (a revoked
-- token keeps its lookup row; the token row says it is revoked). The old unique indexes, still in
-- place here, guarantee the keys are unique.
INSERT INTO "tenant_public_ids" ("public_id", "tenant_id") SELECT "public_id", "id" FROM "tenants";--> statement-breakpoint
INSERT INTO "user_emails" ("email", "tenant_id", "user_id") SELECT "email", "tenant_id", "id" FROM "users";--> statement-breakpoint
INSERT INTO "item_slugs" ("slug", "tenant_id", "item_id") SELECT "slug", "tenant_id", "id" FROM "items";--> statement-breakpoint
INSERT INTO "api_token_hashes" ("token_hash", "tenant_id", "token_id") SELECT "token_hash", "tenant_id", "id" FROM "api_tokens";--> statement-breakpoint
ALTER TABLE "api_token_hashes" ADD CONSTRAINT "api_token_hashes_tenant_id_token_id_api_tokens_tenant_id_id_fk" FOREIGN KEY ("tenant_id","token_id") REFERENCES "public"."api_tokens"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_slugs" ADD CONSTRAINT "item_slugs_tenant_id_item_id_items_tenant_id_id_fk" FOREIGN KEY ("tenant_id","item_id") REFERENCES "public"."items"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_public_ids" ADD CONSTRAINT "tenant_public_ids_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_emails" ADD CONSTRAINT "user_emails_tenant_id_user_id_users_tenant_id_id_fk" FOREIGN KEY ("tenant_id","user_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_token_hashes_tenant_token_idx" ON "api_token_hashes" USING btree ("tenant_id","token_id");--> statement-breakpoint
CREATE INDEX "item_slugs_tenant_item_idx" ON "item_slugs" USING btree ("tenant_id","item_id");--> statement-breakpoint
CREATE INDEX "tenant_public_ids_tenant_idx" ON "tenant_public_ids" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "user_emails_tenant_user_idx" ON "user_emails" USING btree ("tenant_id","user_id");--> statement-breakpoint
-- Nothing references these (orders → items and every other key already name the tenant).
DROP INDEX "api_tokens_hash_key";--> statement-breakpoint
DROP INDEX "items_id_key";--> statement-breakpoint
DROP INDEX "items_slug_key";--> statement-breakpoint
DROP INDEX "orders_id_key";--> statement-breakpoint
DROP INDEX "tenants_public_id_key";--> statement-breakpoint
DROP INDEX "users_email_key";--> statement-breakpoint
-- The primary key (tenant_id, id) serves what this served.
DROP INDEX "users_tenant_id_idx";
