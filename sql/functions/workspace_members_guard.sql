-- Trigger on workspace_members (BEFORE UPDATE OR DELETE): a workspace always keeps an owner, and a
-- membership never moves to another workspace or user (remove it and add another).
-- Removing or demoting the last owner is refused (SQLSTATE 23514 naming the workspace), whoever asks:
-- an admin, the owner leaving, or the deletion of the owner's auth.users row. Deleting the workspace
-- itself removes every membership and is allowed.
-- Concurrent changes to one workspace's owners are serialised by an advisory lock on the workspace,
-- so two owners demoting each other at once cannot leave it with none.
-- SECURITY DEFINER: the count of owners must not depend on what the caller's policies let them see.
CREATE OR REPLACE FUNCTION public.workspace_members_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  ws_name text;
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.workspace_id <> OLD.workspace_id OR NEW.user_id <> OLD.user_id) THEN
    RAISE EXCEPTION 'workspace_members: a membership cannot move to another workspace or user; remove it and add another'
      USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.role <> 'owner' OR (TG_OP = 'UPDATE' AND NEW.role = 'owner') THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('workspace_owners:' || OLD.workspace_id::text, 0));
  SELECT w.name INTO ws_name FROM workspaces w WHERE w.id = OLD.workspace_id;
  -- The workspace is being deleted (this is its cascade): nothing to keep.
  IF NOT FOUND THEN
    RETURN OLD;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM workspace_members m
                 WHERE m.workspace_id = OLD.workspace_id AND m.role = 'owner' AND m.user_id <> OLD.user_id) THEN
    RAISE EXCEPTION 'workspace "%" (%): user % is its last owner and cannot be %', ws_name, OLD.workspace_id, OLD.user_id,
      CASE WHEN TG_OP = 'DELETE' THEN 'removed' ELSE 'demoted' END
      USING ERRCODE = 'check_violation',
            HINT = 'Make another member an owner first, or delete the workspace.';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$function$;

REVOKE ALL ON FUNCTION public.workspace_members_guard() FROM PUBLIC, anon, authenticated, service_role;
