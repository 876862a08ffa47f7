-- Trigger (BEFORE INSERT, WHEN NEW.workspace_id IS NULL) on the tables derived from posts: events,
-- analytics, conversions, mentions. Copies the post's workspace, so every writer (ingestion, the
-- rollups, the app's own inserts) gets it right without naming it. Bulk ingestion writes the column
-- itself and never fires this (the WHEN clause is checked first, at no measurable cost).
-- A row whose post does not exist keeps NULL, which NOT NULL then refuses (external topic mentions,
-- which have no post, are the market's and stay NULL).
CREATE OR REPLACE FUNCTION public.fill_workspace_id_from_post()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.post_id IS NOT NULL THEN
    NEW.workspace_id := (SELECT p.workspace_id FROM social_posts p WHERE p.id = NEW.post_id);
  END IF;
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.fill_workspace_id_from_post() FROM PUBLIC, anon, authenticated, service_role;
