-- Publishing (issue 16): the claim columns on social_posts, the statuses pending_approval, unknown and
-- missed, the per-account publishing settings and the attempts table; the functions follow in the next
-- migration. Existing rows are brought into the state machine before its CHECKs: a scheduled post is
-- due at its scheduled time, and a post some earlier worker left `publishing` is `unknown` (it may have
-- gone out), for reconcile_post_publish to settle.
CREATE TABLE "account_publishing_settings" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"time_zone" varchar(64) DEFAULT 'UTC' NOT NULL,
	"posting_slots" time[] DEFAULT '{}'::time[] NOT NULL,
	"posts_per_window" integer,
	"rate_window" interval,
	"min_spacing" interval,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_publishing_settings_time_zone_valid" CHECK (timezone("account_publishing_settings"."time_zone", '2000-01-01 00:00:00+00'::timestamptz) IS NOT NULL),
	CONSTRAINT "account_publishing_settings_posts_per_window_positive" CHECK ("account_publishing_settings"."posts_per_window" >= 1),
	CONSTRAINT "account_publishing_settings_rate_window_positive" CHECK ("account_publishing_settings"."rate_window" > interval '0'),
	CONSTRAINT "account_publishing_settings_min_spacing_nonnegative" CHECK ("account_publishing_settings"."min_spacing" >= interval '0'),
	CONSTRAINT "account_publishing_settings_slots_valid" CHECK (array_position("account_publishing_settings"."posting_slots", NULL) IS NULL AND cardinality("account_publishing_settings"."posting_slots") <= 96)
);
--> statement-breakpoint
ALTER TABLE "account_publishing_settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "post_publish_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "post_publish_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"post_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"account_id" uuid,
	"platform_id" integer NOT NULL,
	"attempt" integer NOT NULL,
	"worker" varchar(100) NOT NULL,
	"claim_token" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"lateness" interval NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" varchar(20),
	"error" text,
	"platform_response" jsonb,
	CONSTRAINT "post_publish_attempts_claim_token_key" UNIQUE("claim_token"),
	CONSTRAINT "post_publish_attempts_post_attempt_key" UNIQUE("post_id","attempt"),
	CONSTRAINT "post_publish_attempts_outcome_valid" CHECK ("post_publish_attempts"."outcome" IN ('published', 'retry', 'rate_limited', 'failed', 'unknown', 'not_published')),
	CONSTRAINT "post_publish_attempts_attempt_positive" CHECK ("post_publish_attempts"."attempt" >= 1),
	CONSTRAINT "post_publish_attempts_finished_with_outcome" CHECK (("post_publish_attempts"."outcome" IS NULL) = ("post_publish_attempts"."finished_at" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "post_publish_attempts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "social_posts" DROP CONSTRAINT "social_posts_status_valid";--> statement-breakpoint
DROP INDEX "idx_social_posts_scheduled_queue";--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "scheduled_time_zone" varchar(64);--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "max_lateness" interval;--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "publish_wait_reason" text;--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "claim_token" uuid;--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "claimed_by" varchar(100);--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "account_publishing_settings" ADD CONSTRAINT "account_publishing_settings_account_id_social_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."social_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_publishing_settings" ADD CONSTRAINT "account_publishing_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_publish_attempts" ADD CONSTRAINT "post_publish_attempts_post_id_social_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."social_posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_publish_attempts" ADD CONSTRAINT "post_publish_attempts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_publish_attempts" ADD CONSTRAINT "post_publish_attempts_account_id_social_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."social_accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_publish_attempts" ADD CONSTRAINT "post_publish_attempts_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_account_publishing_settings_workspace" ON "account_publishing_settings" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "idx_post_publish_attempts_account_started" ON "post_publish_attempts" USING btree ("account_id","started_at");--> statement-breakpoint
CREATE INDEX "idx_post_publish_attempts_workspace_started" ON "post_publish_attempts" USING btree ("workspace_id","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_social_posts_due" ON "social_posts" USING btree ("next_attempt_at","id") WHERE "social_posts"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "idx_social_posts_leases" ON "social_posts" USING btree ("lease_expires_at") WHERE "social_posts"."status" = 'publishing';--> statement-breakpoint
CREATE INDEX "idx_social_posts_workspace_queue" ON "social_posts" USING btree ("workspace_id","status") WHERE "social_posts"."status" IN ('pending_approval', 'scheduled', 'publishing', 'unknown', 'failed', 'missed');--> statement-breakpoint
CREATE INDEX "idx_social_posts_account_scheduled" ON "social_posts" USING btree ("account_id","scheduled_at") WHERE "social_posts"."account_id" IS NOT NULL;--> statement-breakpoint
UPDATE social_posts SET next_attempt_at = scheduled_at WHERE status = 'scheduled';--> statement-breakpoint
UPDATE social_posts
SET status = 'unknown', claim_token = gen_random_uuid(), claimed_by = 'before the publishing state machine', lease_expires_at = now(),
    last_error = 'outcome unknown: left publishing before the publishing state machine existed (reconcile_post_publish settles it)'
WHERE status = 'publishing';--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_scheduled_next_attempt_set" CHECK ("social_posts"."status" <> 'scheduled' OR "social_posts"."next_attempt_at" IS NOT NULL);--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_claim_while_publishing" CHECK ("social_posts"."status" NOT IN ('publishing', 'unknown') OR ("social_posts"."claim_token" IS NOT NULL AND "social_posts"."claimed_by" IS NOT NULL AND "social_posts"."lease_expires_at" IS NOT NULL));--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_max_lateness_positive" CHECK ("social_posts"."max_lateness" > interval '0');--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_status_valid" CHECK ("social_posts"."status" IN ('draft', 'pending_approval', 'scheduled', 'publishing', 'published', 'failed', 'unknown', 'missed'));--> statement-breakpoint
CREATE POLICY "account_publishing_settings_member_select" ON "account_publishing_settings" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("account_publishing_settings"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));--> statement-breakpoint
CREATE POLICY "account_publishing_settings_admin_insert" ON "account_publishing_settings" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("account_publishing_settings"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]));--> statement-breakpoint
CREATE POLICY "account_publishing_settings_admin_update" ON "account_publishing_settings" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("account_publishing_settings"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[])) WITH CHECK ("account_publishing_settings"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]));--> statement-breakpoint
CREATE POLICY "account_publishing_settings_admin_delete" ON "account_publishing_settings" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("account_publishing_settings"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]));--> statement-breakpoint
CREATE POLICY "account_publishing_settings_service_role_all" ON "account_publishing_settings" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "post_publish_attempts_member_select" ON "post_publish_attempts" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("post_publish_attempts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));--> statement-breakpoint
CREATE POLICY "post_publish_attempts_service_role_all" ON "post_publish_attempts" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
SELECT count(*) FROM sync_api_grants(ARRAY['account_publishing_settings', 'post_publish_attempts']::regclass[]);
