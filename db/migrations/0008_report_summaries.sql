CREATE TABLE "deal_credits" (
	"deal_id" text NOT NULL,
	"user_id" text NOT NULL,
	"currency" text NOT NULL,
	"process_key" text NOT NULL,
	"closed_at" timestamp with time zone NOT NULL,
	"credit" numeric(20, 2) NOT NULL,
	CONSTRAINT "deal_credits_deal_id_user_id_pk" PRIMARY KEY("deal_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "stage_escalations" (
	"event_id" bigint PRIMARY KEY NOT NULL,
	"deal_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"stage" text NOT NULL,
	"process_key" text NOT NULL,
	"process_version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stage_visit_summaries" (
	"deal_id" text NOT NULL,
	"stage_key" text NOT NULL,
	"visit" integer NOT NULL,
	"process_key" text NOT NULL,
	"process_version" integer NOT NULL,
	"stage_index" integer NOT NULL,
	"exited_at" timestamp with time zone NOT NULL,
	"duration_ms" double precision NOT NULL,
	"cancelled" boolean NOT NULL,
	"breached" boolean NOT NULL,
	CONSTRAINT "stage_visit_summaries_deal_id_stage_key_visit_pk" PRIMARY KEY("deal_id","stage_key","visit")
);
--> statement-breakpoint
ALTER TABLE "deal_credits" ADD CONSTRAINT "deal_credits_deal_id_deals_id_fk" FOREIGN KEY ("deal_id") REFERENCES "public"."deals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stage_escalations" ADD CONSTRAINT "stage_escalations_event_id_deal_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."deal_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deal_credits_closed_idx" ON "deal_credits" USING btree ("closed_at") INCLUDE ("user_id","currency","process_key","credit");--> statement-breakpoint
CREATE INDEX "deal_credits_user_closed_idx" ON "deal_credits" USING btree ("user_id","closed_at") INCLUDE ("currency","process_key","credit");--> statement-breakpoint
CREATE INDEX "stage_escalations_at_idx" ON "stage_escalations" USING btree ("at") INCLUDE ("stage","process_key","process_version","deal_id");--> statement-breakpoint
CREATE INDEX "stage_visit_summaries_exited_idx" ON "stage_visit_summaries" USING btree ("exited_at") INCLUDE ("process_key","stage_key","process_version","stage_index","duration_ms","cancelled","breached","deal_id");--> statement-breakpoint
CREATE INDEX "deals_active_pipeline_idx" ON "deals" USING btree ("process_key","process_version","stage_key","stage_index","currency") INCLUDE ("value_amount") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "deals_active_due_idx" ON "deals" USING btree ("due_at","id") WHERE status = 'active';--> statement-breakpoint
-- Stage visit summaries: written with each visit, by one INSERT … SELECT per statement that inserts visits.
CREATE FUNCTION "stage_visit_summaries_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stage_visit_summaries (deal_id, stage_key, visit, process_key, process_version, stage_index,
    exited_at, duration_ms, cancelled, breached)
  SELECT v.deal_id, v.stage_key, v.visit, d.process_key, d.process_version, v.stage_index, v.exited_at,
    extract(epoch from (v.exited_at - v.entered_at)) * 1000, v.outcome = 'cancelled', v.breached
  FROM new_visits v JOIN deals d ON d.id = v.deal_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "stage_visit_summaries_insert" AFTER INSERT ON "stage_visits" REFERENCING NEW TABLE AS new_visits
  FOR EACH STATEMENT EXECUTE FUNCTION "stage_visit_summaries_insert"();--> statement-breakpoint
-- Escalations: only `stage.escalated` events with a stage fire it (the WHEN costs other events nothing).
CREATE FUNCTION "stage_escalations_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stage_escalations (event_id, deal_id, at, stage, process_key, process_version)
  SELECT NEW.id, NEW.deal_id, NEW.at, NEW.stage, d.process_key, d.process_version FROM deals d WHERE d.id = NEW.deal_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "stage_escalations_insert" AFTER INSERT ON "deal_events"
  FOR EACH ROW WHEN (NEW.type = 'stage.escalated' AND NEW.stage IS NOT NULL)
  EXECUTE FUNCTION "stage_escalations_insert"();--> statement-breakpoint
-- Backfill from the rows already there (deal_credits is backfilled after the migrations, in
-- TypeScript: db/deal-credits.ts, so that credit has one implementation, domain/deal/credit.ts).
INSERT INTO stage_visit_summaries (deal_id, stage_key, visit, process_key, process_version, stage_index,
  exited_at, duration_ms, cancelled, breached)
SELECT v.deal_id, v.stage_key, v.visit, d.process_key, d.process_version, v.stage_index, v.exited_at,
  extract(epoch from (v.exited_at - v.entered_at)) * 1000, v.outcome = 'cancelled', v.breached
FROM stage_visits v JOIN deals d ON d.id = v.deal_id
ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO stage_escalations (event_id, deal_id, at, stage, process_key, process_version)
SELECT e.id, e.deal_id, e.at, e.stage, d.process_key, d.process_version
FROM deal_events e JOIN deals d ON d.id = e.deal_id
WHERE e.type = 'stage.escalated' AND e.stage IS NOT NULL
ON CONFLICT DO NOTHING;
