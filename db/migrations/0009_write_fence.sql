ALTER TABLE "deal_events" ADD COLUMN "fence" bigint;--> statement-breakpoint
ALTER TABLE "deals" ADD COLUMN "write_fence" bigint;--> statement-breakpoint
ALTER TABLE "signoffs" ADD COLUMN "fence" bigint;