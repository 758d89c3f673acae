CREATE TABLE "offboarding_items" (
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"item_id" text NOT NULL,
	"role" text DEFAULT '' NOT NULL,
	"outcome" text NOT NULL,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "offboarding_items_user_id_kind_item_id_role_pk" PRIMARY KEY("user_id","kind","item_id","role")
);
--> statement-breakpoint
CREATE TABLE "offboardings" (
	"user_id" text PRIMARY KEY NOT NULL,
	"successor_id" text NOT NULL,
	"reason" text NOT NULL,
	"requested_by" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"tokens_revoked" integer DEFAULT 0 NOT NULL,
	"delegations_ended" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "offboarding_items" ADD CONSTRAINT "offboarding_items_user_id_offboardings_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."offboardings"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offboardings" ADD CONSTRAINT "offboardings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offboardings" ADD CONSTRAINT "offboardings_successor_id_users_id_fk" FOREIGN KEY ("successor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;