ALTER TABLE "deals" ADD COLUMN "participant_ids" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "deals_participants_idx" ON "deals" USING gin ("participant_ids");--> statement-breakpoint
CREATE INDEX "deals_pending_idx" ON "deals" USING gin ("pending_user_ids");