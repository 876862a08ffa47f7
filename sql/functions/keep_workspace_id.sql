-- Trigger on social_accounts and content_templates (BEFORE UPDATE OF workspace_id): a row stays in its
-- workspace. Moving an account would leave its posts (and their analytics) in the old one.
CREATE OR REPLACE FUNCTION public.keep_workspace_id()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
    RAISE EXCEPTION '%.workspace_id: a row cannot move to another workspace', TG_TABLE_NAME
      USING ERRCODE = 'check_violation', COLUMN = 'workspace_id';
  END IF;
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.keep_workspace_id() FROM PUBLIC, anon, authenticated, service_role;
