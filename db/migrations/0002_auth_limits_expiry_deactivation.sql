-- UNLOGGED (edited by hand: drizzle-kit cannot declare it): rate-limit counters need no WAL or fsync,
-- and a crash that empties the table only resets the limits. fillfactor leaves room for HOT updates.
CREATE UNLOGGED TABLE "rate_limit_buckets" (
	"key" text PRIMARY KEY NOT NULL,
	"tat" timestamp with time zone NOT NULL,
	"allowed" boolean NOT NULL,
	"seen_at" timestamp with time zone NOT NULL
) WITH (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "deactivated_at" timestamp with time zone;