CREATE TABLE "account_role_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"role" text NOT NULL,
	"user_id" text NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"until" timestamp with time zone,
	"actor_id" text NOT NULL,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"tier" text DEFAULT 'general' NOT NULL,
	"industry" text,
	"region" text,
	"notes" text,
	"ar_id" text,
	"sr_id" text,
	"fr_id" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contact_interactions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"contact_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"summary" text NOT NULL,
	"actor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"title" text,
	"department" text,
	"buying_role" text NOT NULL,
	"stance" text DEFAULT 'unknown' NOT NULL,
	"influence" integer DEFAULT 3 NOT NULL,
	"owner_id" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deals" ADD COLUMN "account_id" text;--> statement-breakpoint
ALTER TABLE "account_role_history" ADD CONSTRAINT "account_role_history_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_interactions" ADD CONSTRAINT "contact_interactions_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_role_history_account_idx" ON "account_role_history" USING btree ("account_id","since");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_name_uq" ON "accounts" USING btree ("name");--> statement-breakpoint
CREATE INDEX "accounts_ar_idx" ON "accounts" USING btree ("ar_id");--> statement-breakpoint
CREATE INDEX "accounts_sr_idx" ON "accounts" USING btree ("sr_id");--> statement-breakpoint
CREATE INDEX "accounts_fr_idx" ON "accounts" USING btree ("fr_id");--> statement-breakpoint
CREATE INDEX "contact_interactions_contact_idx" ON "contact_interactions" USING btree ("contact_id","at");--> statement-breakpoint
CREATE INDEX "contacts_account_idx" ON "contacts" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "contacts_owner_idx" ON "contacts" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "deals_account_idx" ON "deals" USING btree ("account_id");--> statement-breakpoint
-- Existing deals get an account row each (one per account name; the most recent known tier, else general).
INSERT INTO "accounts" ("id", "name", "tier", "created_by", "created_at", "updated_at")
SELECT gen_random_uuid()::text, d."account_name",
  coalesce((array_agg(d."account_tier" ORDER BY d."created_at" DESC)
    FILTER (WHERE d."account_tier" IN ('strategic', 'core', 'growth', 'general')))[1], 'general'),
  'system', min(d."created_at"), now()
FROM "deals" d GROUP BY d."account_name"
ON CONFLICT ("name") DO NOTHING;--> statement-breakpoint
UPDATE "deals" d SET "account_id" = a."id" FROM "accounts" a
WHERE a."name" = d."account_name" AND d."account_id" IS NULL;
