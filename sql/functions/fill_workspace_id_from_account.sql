-- Trigger (BEFORE INSERT, WHEN NEW.workspace_id IS NULL) on account_follower_history: copies the
-- account's workspace.
CREATE OR REPLACE FUNCTION public.fill_workspace_id_from_account()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  NEW.workspace_id := (SELECT a.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id);
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.fill_workspace_id_from_account() FROM PUBLIC, anon, authenticated, service_role;
