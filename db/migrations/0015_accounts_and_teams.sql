CREATE TYPE "public"."member_role" AS ENUM('owner', 'admin', 'viewer');--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"two_factor_required_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "account_members" (
	"account_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" "member_role" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_members_account_id_user_id_pk" PRIMARY KEY("account_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "invitation_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"invitation_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invitations" (
	"account_id" text NOT NULL,
	"id" text NOT NULL,
	"email" text NOT NULL,
	"role" "member_role" NOT NULL,
	"invited_by_user_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"accepted_by_user_id" text,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "invitations_account_id_id_pk" PRIMARY KEY("account_id","id")
);
--> statement-breakpoint
-- Existing data: each tenant becomes an account's tenant (the account id is the tenant id with
-- acc_ for ten_), each user the Owner of their tenant's account; open sessions work in it; TOTP
-- secrets stay bound to the tenant they were sealed under until secrets:rotate re-seals them.
ALTER TABLE "tenants" ADD COLUMN "account_id" text;--> statement-breakpoint
INSERT INTO "accounts" ("id", "two_factor_required_at", "created_at") SELECT 'acc_' || regexp_replace("id", '^ten_', ''), "two_factor_required_at", "created_at" FROM "tenants";--> statement-breakpoint
UPDATE "tenants" SET "account_id" = 'acc_' || regexp_replace("id", '^ten_', '');--> statement-breakpoint
ALTER TABLE "tenants" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
INSERT INTO "account_members" ("account_id", "user_id", "role", "created_at") SELECT 'acc_' || regexp_replace("tenant_id", '^ten_', ''), "id", 'owner', "created_at" FROM "users";--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "account_id" text;--> statement-breakpoint
UPDATE "sessions" SET "account_id" = 'acc_' || regexp_replace("tenant_id", '^ten_', '');--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "user_two_factor" ADD COLUMN "sealed_tenant_id" text;--> statement-breakpoint
UPDATE "user_two_factor" SET "sealed_tenant_id" = "tenant_id";--> statement-breakpoint
ALTER TABLE "user_emails" DROP CONSTRAINT "user_emails_tenant_id_user_id_users_tenant_id_id_fk";
--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "auth_tokens" DROP CONSTRAINT "auth_tokens_tenant_id_user_id_users_tenant_id_id_fk";
--> statement-breakpoint
ALTER TABLE "recovery_codes" DROP CONSTRAINT "recovery_codes_tenant_id_user_id_users_tenant_id_id_fk";
--> statement-breakpoint
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_tenant_id_user_id_users_tenant_id_id_fk";
--> statement-breakpoint
ALTER TABLE "user_two_factor" DROP CONSTRAINT "user_two_factor_tenant_id_user_id_users_tenant_id_id_fk";
--> statement-breakpoint
DROP INDEX "user_emails_tenant_user_idx";--> statement-breakpoint
DROP INDEX "users_tenant_email_key";--> statement-breakpoint
DROP INDEX "auth_tokens_tenant_user_idx";--> statement-breakpoint
DROP INDEX "sessions_tenant_user_idx";--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_tenant_id_id_pk";--> statement-breakpoint
ALTER TABLE "recovery_codes" DROP CONSTRAINT "recovery_codes_tenant_id_user_id_code_hash_pk";--> statement-breakpoint
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_tenant_id_id_pk";--> statement-breakpoint
ALTER TABLE "user_two_factor" DROP CONSTRAINT "user_two_factor_tenant_id_user_id_pk";--> statement-breakpoint
ALTER TABLE "users" ADD PRIMARY KEY ("id");--> statement-breakpoint
ALTER TABLE "user_two_factor" ADD PRIMARY KEY ("user_id");--> statement-breakpoint
ALTER TABLE "recovery_codes" ADD CONSTRAINT "recovery_codes_user_id_code_hash_pk" PRIMARY KEY("user_id","code_hash");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "account_members" ADD CONSTRAINT "account_members_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_members" ADD CONSTRAINT "account_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitation_tokens" ADD CONSTRAINT "invitation_tokens_account_id_invitation_id_invitations_account_id_id_fk" FOREIGN KEY ("account_id","invitation_id") REFERENCES "public"."invitations"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_members_user_idx" ON "account_members" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "invitation_tokens_invitation_idx" ON "invitation_tokens" USING btree ("account_id","invitation_id");--> statement-breakpoint
CREATE INDEX "invitations_account_email_idx" ON "invitations" USING btree ("account_id","email");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_emails" ADD CONSTRAINT "user_emails_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "auth_tokens" ADD CONSTRAINT "auth_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_codes" ADD CONSTRAINT "recovery_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_two_factor" ADD CONSTRAINT "user_two_factor_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tenants_account_idx" ON "tenants" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "user_emails_user_idx" ON "user_emails" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "auth_tokens_user_idx" ON "auth_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sessions_account_idx" ON "sessions" USING btree ("account_id");--> statement-breakpoint
ALTER TABLE "tenants" DROP COLUMN "two_factor_required_at";--> statement-breakpoint
ALTER TABLE "user_emails" DROP COLUMN "tenant_id";--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "tenant_id";--> statement-breakpoint
ALTER TABLE "auth_tokens" DROP COLUMN "tenant_id";--> statement-breakpoint
ALTER TABLE "recovery_codes" DROP COLUMN "tenant_id";--> statement-breakpoint
ALTER TABLE "sessions" DROP COLUMN "tenant_id";--> statement-breakpoint
ALTER TABLE "user_two_factor" DROP COLUMN "tenant_id";