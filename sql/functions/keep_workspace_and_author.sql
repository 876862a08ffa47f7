-- Trigger on social_accounts, content_templates and social_posts (BEFORE UPDATE OF workspace_id,
-- user_id): a row stays in its workspace and keeps its author. Moving an account would leave its posts
-- (and their analytics) in the old workspace; the update policies see only the new row, so without
-- this an editor could make anyone, a customer included, the author of a post.
CREATE OR REPLACE FUNCTION public.keep_workspace_and_author()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
    RAISE EXCEPTION '%.workspace_id: a row cannot move to another workspace', TG_TABLE_NAME
      USING ERRCODE = 'check_violation', COLUMN = 'workspace_id';
  END IF;
  IF NEW.user_id IS DISTINCT FROM OLD.user_id AND NEW.user_id IS NOT NULL THEN
    RAISE EXCEPTION '%.user_id: the author of a row does not change', TG_TABLE_NAME
      USING ERRCODE = 'check_violation', COLUMN = 'user_id';
  END IF;
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.keep_workspace_and_author() FROM PUBLIC, anon, authenticated, service_role;
