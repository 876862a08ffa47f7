-- account_publishing_settings rows belong to their account's workspace: the workspace is taken from
-- the account (visible to the caller, so a member cannot attach settings to another workspace's
-- account), never from the writer.
CREATE OR REPLACE FUNCTION public.account_publishing_settings_workspace()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  SELECT a.workspace_id INTO NEW.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'account_id: no account %', NEW.account_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'account_publishing_settings', COLUMN = 'account_id';
  END IF;
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.account_publishing_settings_workspace() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.account_publishing_settings_workspace() TO service_role;
