CREATE TABLE "posting_slot_stats" (
	"week_start" timestamp with time zone NOT NULL,
	"platform_id" integer NOT NULL,
	"slot" smallint NOT NULL,
	"posts_count" integer NOT NULL,
	"rate_sum" numeric(20, 6) NOT NULL,
	CONSTRAINT "posting_slot_stats_pkey" PRIMARY KEY("week_start","platform_id","slot"),
	CONSTRAINT "posting_slot_stats_slot_range" CHECK ("posting_slot_stats"."slot" BETWEEN 0 AND 95)
);
--> statement-breakpoint
ALTER TABLE "posting_slot_stats" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "posting_slot_stats_service_role_all" ON "posting_slot_stats" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);