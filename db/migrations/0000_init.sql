CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "deal_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"deal_id" text NOT NULL,
	"seq" integer NOT NULL,
	"event_key" text NOT NULL,
	"type" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"stage" text,
	"actor_id" text NOT NULL,
	"on_behalf_of_id" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deals" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"title" text NOT NULL,
	"account_name" text NOT NULL,
	"account_tier" text,
	"value_amount" numeric(20, 2) NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"process_key" text NOT NULL,
	"process_version" integer NOT NULL,
	"ar_id" text NOT NULL,
	"sr_id" text NOT NULL,
	"fr_id" text NOT NULL,
	"stage_key" text,
	"stage_index" integer,
	"stage_visit" integer,
	"stage_entered_at" timestamp with time zone,
	"due_at" timestamp with time zone,
	"escalation_level" integer DEFAULT 0 NOT NULL,
	"required" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"waiting_on" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"pending_user_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"projection_seq" integer DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"idempotency_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "delegations" (
	"user_id" text PRIMARY KEY NOT NULL,
	"delegate_id" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_deliveries" (
	"notification_id" text NOT NULL,
	"channel" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "notification_deliveries_notification_id_channel_pk" PRIMARY KEY("notification_id","channel")
);
--> statement-breakpoint
CREATE TABLE "notification_preferences" (
	"user_id" text PRIMARY KEY NOT NULL,
	"preferences" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"deal_id" text NOT NULL,
	"stage" text,
	"kind" text NOT NULL,
	"event" text NOT NULL,
	"user_id" text NOT NULL,
	"text" text NOT NULL,
	"context" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "process_versions" (
	"key" text NOT NULL,
	"version" integer NOT NULL,
	"checksum" text NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "process_versions_key_version_pk" PRIMARY KEY("key","version")
);
--> statement-breakpoint
CREATE TABLE "signoffs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"deal_id" text NOT NULL,
	"stage_key" text NOT NULL,
	"visit" integer NOT NULL,
	"role" text NOT NULL,
	"user_id" text NOT NULL,
	"actor_id" text NOT NULL,
	"decision" text NOT NULL,
	"comment" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stage_visits" (
	"deal_id" text NOT NULL,
	"stage_key" text NOT NULL,
	"visit" integer NOT NULL,
	"stage_index" integer NOT NULL,
	"entered_at" timestamp with time zone NOT NULL,
	"exited_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone,
	"outcome" text NOT NULL,
	"breached" boolean DEFAULT false NOT NULL,
	"escalations" integer DEFAULT 0 NOT NULL,
	"holders" jsonb NOT NULL,
	"weights" jsonb NOT NULL,
	"signers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "stage_visits_deal_id_stage_key_visit_pk" PRIMARY KEY("deal_id","stage_key","visit")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"manager_id" text,
	"groups" text[] DEFAULT '{}'::text[] NOT NULL,
	"locale" text DEFAULT 'en' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"format" text NOT NULL,
	"secret" text,
	"events" text[],
	"user_id" text,
	"team_manager_id" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deal_events" ADD CONSTRAINT "deal_events_deal_id_deals_id_fk" FOREIGN KEY ("deal_id") REFERENCES "public"."deals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_delegate_id_users_id_fk" FOREIGN KEY ("delegate_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_notification_id_notifications_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."notifications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_preferences" ADD CONSTRAINT "notification_preferences_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signoffs" ADD CONSTRAINT "signoffs_deal_id_deals_id_fk" FOREIGN KEY ("deal_id") REFERENCES "public"."deals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stage_visits" ADD CONSTRAINT "stage_visits_deal_id_deals_id_fk" FOREIGN KEY ("deal_id") REFERENCES "public"."deals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_team_manager_id_users_id_fk" FOREIGN KEY ("team_manager_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_uq" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "api_tokens_user_idx" ON "api_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deal_events_seq_uq" ON "deal_events" USING btree ("deal_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "deal_events_key_uq" ON "deal_events" USING btree ("deal_id","event_key");--> statement-breakpoint
CREATE INDEX "deal_events_type_at_idx" ON "deal_events" USING btree ("type","at");--> statement-breakpoint
CREATE UNIQUE INDEX "deals_idempotency_uq" ON "deals" USING btree ("created_by","idempotency_key");--> statement-breakpoint
CREATE INDEX "deals_status_stage_idx" ON "deals" USING btree ("status","stage_key");--> statement-breakpoint
CREATE INDEX "deals_ar_idx" ON "deals" USING btree ("ar_id");--> statement-breakpoint
CREATE INDEX "deals_sr_idx" ON "deals" USING btree ("sr_id");--> statement-breakpoint
CREATE INDEX "deals_fr_idx" ON "deals" USING btree ("fr_id");--> statement-breakpoint
CREATE INDEX "deals_due_idx" ON "deals" USING btree ("due_at");--> statement-breakpoint
CREATE INDEX "deliveries_status_idx" ON "notification_deliveries" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_dedupe_uq" ON "notifications" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","read_at","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "signoffs_visit_role_uq" ON "signoffs" USING btree ("deal_id","stage_key","visit","role");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_uq" ON "users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "users_manager_idx" ON "users" USING btree ("manager_id");