-- Trigger on social_posts (BEFORE INSERT OR UPDATE OF workspace_id, account_id, template_id): a post,
-- its account and its template are of one workspace. An insert that leaves workspace_id out takes
-- the account's (or else the template's), so code written before workspaces keeps working.
-- SECURITY INVOKER: a member sees only their workspaces' accounts and templates, so another
-- workspace's account is reported as not in this one, revealing nothing about it.
CREATE OR REPLACE FUNCTION public.social_posts_workspace()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.workspace_id IS NULL THEN
    NEW.workspace_id := coalesce(
      (SELECT a.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id),
      (SELECT ct.workspace_id FROM content_templates ct WHERE ct.id = NEW.template_id));
    IF NEW.workspace_id IS NULL THEN
      RAISE EXCEPTION 'social_posts.workspace_id: required (no account or template to take it from)'
        USING ERRCODE = 'not_null_violation', COLUMN = 'workspace_id';
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.workspace_id <> OLD.workspace_id THEN
    RAISE EXCEPTION 'social_posts.workspace_id: a post cannot move to another workspace (its analytics and events stay with it)'
      USING ERRCODE = 'check_violation', COLUMN = 'workspace_id';
  END IF;
  IF NEW.account_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM social_accounts a WHERE a.id = NEW.account_id AND a.workspace_id = NEW.workspace_id) THEN
    RAISE EXCEPTION 'social_posts.account_id: account % is not in workspace %', NEW.account_id, NEW.workspace_id
      USING ERRCODE = 'foreign_key_violation', COLUMN = 'account_id';
  END IF;
  IF NEW.template_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM content_templates ct WHERE ct.id = NEW.template_id AND ct.workspace_id = NEW.workspace_id) THEN
    RAISE EXCEPTION 'social_posts.template_id: template % is not in workspace %', NEW.template_id, NEW.workspace_id
      USING ERRCODE = 'foreign_key_violation', COLUMN = 'template_id';
  END IF;
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.social_posts_workspace() FROM PUBLIC, anon, authenticated, service_role;
