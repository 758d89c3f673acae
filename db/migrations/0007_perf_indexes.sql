CREATE INDEX "deals_created_idx" ON "deals" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "deals_completed_closed_idx" ON "deals" USING btree ("closed_at") WHERE status = 'completed';--> statement-breakpoint
CREATE INDEX "stage_visits_exited_idx" ON "stage_visits" USING btree ("exited_at");