-- Carries sql/functions/fill_workspace_id_from_post.sql.
-- Written by npm run sql:migration from the files' content; edit the files, not this, and add a comment here on why.
-- sql/functions/fill_workspace_id_from_post.sql
-- Trigger (BEFORE INSERT, WHEN NEW.workspace_id IS NULL) on the tables derived from posts: events,
-- analytics, conversions, mentions. Copies the post's workspace, so every writer (ingestion, the
-- rollups, the app's own inserts) gets it right without naming it. Bulk ingestion writes the column
-- itself and never fires this (the WHEN clause is checked first, at no measurable cost).
-- A row whose post does not exist is refused naming post_id (23503), not with NOT NULL's message on a
-- column the writer never named. A row without a post keeps NULL: external topic mentions are the
-- market's; elsewhere NOT NULL refuses it.
CREATE OR REPLACE FUNCTION public.fill_workspace_id_from_post()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.post_id IS NOT NULL THEN
    NEW.workspace_id := (SELECT p.workspace_id FROM social_posts p WHERE p.id = NEW.post_id);
    IF NEW.workspace_id IS NULL THEN
      RAISE EXCEPTION 'post_id: no post %', NEW.post_id
        USING ERRCODE = 'foreign_key_violation', COLUMN = 'post_id', TABLE = TG_TABLE_NAME,
              HINT = 'An event, analytics row, conversion or mention belongs to an existing post (its workspace is the post''s).';
    END IF;
  END IF;
  RETURN NEW;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.fill_workspace_id_from_post() FROM PUBLIC, anon, authenticated, service_role;
