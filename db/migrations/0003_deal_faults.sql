CREATE TABLE "deal_faults" (
	"deal_id" text PRIMARY KEY NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"error" text NOT NULL,
	"seq" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
