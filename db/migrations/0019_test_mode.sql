CREATE TYPE "public"."environment" AS ENUM('live', 'test');--> statement-breakpoint
CREATE TABLE "account_tenants" (
	"account_id" text NOT NULL,
	"environment" "environment" NOT NULL,
	"tenant_id" text NOT NULL,
	CONSTRAINT "account_tenants_account_id_environment_pk" PRIMARY KEY("account_id","environment")
);
--> statement-breakpoint
ALTER TABLE "tenants" ALTER COLUMN "environment" DROP DEFAULT;--> statement-breakpoint
-- Existing tenants keep the Whop world their key was accepted in: a key connected while
-- WHOP_API_ORIGIN was a sandbox (Whop's sandbox host, or a local one) was recorded as sandbox and
-- is Test; every other tenant (production, or not connected yet) is Live.
ALTER TABLE "tenants" ALTER COLUMN "environment" SET DATA TYPE "public"."environment" USING (CASE WHEN "environment"::text = 'sandbox' THEN 'test' ELSE 'live' END)::"public"."environment";--> statement-breakpoint
ALTER TABLE "tenants" ALTER COLUMN "environment" SET DEFAULT 'live';--> statement-breakpoint
ALTER TABLE "tenants" ALTER COLUMN "environment" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "environment" "environment" DEFAULT 'live' NOT NULL;--> statement-breakpoint
ALTER TABLE "account_tenants" ADD CONSTRAINT "account_tenants_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_tenants" ADD CONSTRAINT "account_tenants_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Every account had one tenant: it becomes the account's tenant in its environment, and open
-- sessions keep working in it.
INSERT INTO "account_tenants" ("account_id", "environment", "tenant_id") SELECT "account_id", "environment", "id" FROM "tenants";--> statement-breakpoint
UPDATE "sessions" SET "environment" = "tenants"."environment" FROM "tenants" WHERE "tenants"."account_id" = "sessions"."account_id";--> statement-breakpoint
DROP TYPE "public"."whop_environment";