-- With workspaces, an account, template or post is the brand's: deleting the user who made it (a
-- member who left) keeps it, with no author, instead of deleting it and everything derived from it.
ALTER TABLE "social_accounts" DROP CONSTRAINT "social_accounts_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "content_templates" DROP CONSTRAINT "content_templates_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "social_posts" DROP CONSTRAINT "social_posts_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "social_accounts" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "content_templates" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "social_posts" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "social_accounts" ADD CONSTRAINT "social_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_templates" ADD CONSTRAINT "content_templates_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE set null ON UPDATE no action;