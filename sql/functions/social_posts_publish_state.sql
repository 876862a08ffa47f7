-- The publishing state machine, in the database so no client (the Data API, a worker, a script) can
-- move a post around it: draft -> pending_approval -> scheduled -> publishing -> published;
-- publishing -> failed | scheduled (retry) | unknown; unknown -> published | scheduled (reconciled);
-- failed and missed -> scheduled | draft (a person); scheduled -> missed (too late), failed (no account).
-- A signed-in user (`authenticated`) makes only the person's moves and never writes the claim columns;
-- where the workspace requires approval, only its admins move a post to scheduled. The other roles
-- (the service role, the owner) also make the machine's moves, which the publishing functions make;
-- they may also record a post published by hand (draft -> published, or inserted as published).
-- The moves into and out of publishing and unknown are the publishing functions' alone (they set
-- social.publish_function while they write): an UPDATE that takes a post from under its worker is how a post goes
-- out twice. `SET LOCAL social.publish_state_override = 'on'` lets the owner or the service role
-- repair a row outside the graph; both settings are ignored for the API's user roles.
-- Also keeps next_attempt_at (when a claim may take the post) equal to scheduled_at whenever the post
-- is (re)scheduled by a person, and empty outside `scheduled`; a claim in flight (claim_token,
-- claimed_by, lease_expires_at) exists only while publishing or unknown.
CREATE OR REPLACE FUNCTION public.social_posts_publish_state()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  person boolean := current_user IN ('authenticated', 'anon');
  override boolean := current_user NOT IN ('authenticated', 'anon')
                      AND coalesce(current_setting('social.publish_state_override', true), '') = 'on';
  by_function boolean := coalesce(current_setting('social.publish_function', true), '') = 'on';
  allowed text[];
  ws uuid;
  needs_approval boolean;
  rescheduled boolean;
BEGIN
  -- A status outside the vocabulary is the CHECK's to refuse (social_posts_status_valid names it).
  IF NEW.status NOT IN ('draft', 'pending_approval', 'scheduled', 'publishing', 'published', 'failed', 'unknown', 'missed') THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    allowed := CASE WHEN person THEN ARRAY['draft', 'pending_approval', 'scheduled']
                    ELSE ARRAY['draft', 'pending_approval', 'scheduled', 'published', 'failed', 'missed'] END;
    IF NOT override AND NOT NEW.status = ANY (allowed) THEN
      RAISE EXCEPTION 'status: a post is not created as % (%)', NEW.status,
        CASE WHEN NEW.status IN ('publishing', 'unknown') THEN 'only claim_due_posts makes a post publishing'
             ELSE 'create it as draft, pending_approval or scheduled' END
        USING ERRCODE = 'check_violation', CONSTRAINT = 'social_posts_status_transition', TABLE = 'social_posts', COLUMN = 'status';
    END IF;
    IF person AND (NEW.claim_token IS NOT NULL OR NEW.claimed_by IS NOT NULL OR NEW.lease_expires_at IS NOT NULL
                   OR NEW.publish_attempts <> 0 OR NEW.publish_wait_reason IS NOT NULL) THEN
      RAISE EXCEPTION 'claim_token, claimed_by, lease_expires_at, publish_attempts and publish_wait_reason are written by the publishing functions only'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  ELSE
    IF person AND OLD.status = 'publishing' THEN
      RAISE EXCEPTION 'status: the post is being published (claimed by %); wait for the outcome', OLD.claimed_by
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF person AND ((NEW.claim_token, NEW.claimed_by, NEW.lease_expires_at, NEW.publish_attempts, NEW.publish_wait_reason)
                   IS DISTINCT FROM (OLD.claim_token, OLD.claimed_by, OLD.lease_expires_at, OLD.publish_attempts, OLD.publish_wait_reason)) THEN
      RAISE EXCEPTION 'claim_token, claimed_by, lease_expires_at, publish_attempts and publish_wait_reason are written by the publishing functions only'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT override THEN
      allowed := CASE OLD.status
        WHEN 'draft' THEN ARRAY['pending_approval', 'scheduled'] || CASE WHEN person THEN '{}'::text[] ELSE ARRAY['published'] END
        WHEN 'pending_approval' THEN ARRAY['draft', 'scheduled']
        WHEN 'scheduled' THEN ARRAY['draft', 'pending_approval'] || CASE WHEN person THEN '{}'::text[] ELSE ARRAY['publishing', 'missed', 'failed'] END
        WHEN 'publishing' THEN CASE WHEN person THEN '{}'::text[] ELSE ARRAY['published', 'failed', 'scheduled', 'unknown'] END
        WHEN 'unknown' THEN CASE WHEN person THEN '{}'::text[] ELSE ARRAY['published', 'scheduled'] END
        WHEN 'failed' THEN ARRAY['scheduled', 'draft']
        WHEN 'missed' THEN ARRAY['scheduled', 'draft']
        ELSE '{}'::text[]
      END;
      IF NOT person AND NOT by_function AND NEW.status = ANY (allowed)
         AND (OLD.status IN ('publishing', 'unknown') OR NEW.status IN ('publishing', 'unknown')) THEN
        RAISE EXCEPTION 'status: % -> % is made by the publishing functions only (claim_due_posts, complete_post_publish, fail_post_publish, mark_post_publish_unknown, reconcile_post_publish, expire_post_publish_leases)',
          OLD.status, NEW.status
          USING ERRCODE = 'check_violation', CONSTRAINT = 'social_posts_status_transition', TABLE = 'social_posts', COLUMN = 'status';
      END IF;
      IF NOT NEW.status = ANY (allowed) THEN
        RAISE EXCEPTION 'status: % -> % is not a move of the publishing state machine%', OLD.status, NEW.status,
          CASE WHEN cardinality(allowed) = 0 THEN format(' (a %s post %s)', OLD.status,
                    CASE WHEN person AND OLD.status IN ('publishing', 'unknown') THEN 'is settled by the publishing functions'
                         ELSE 'stays as it is' END)
               ELSE format(' (from %s: %s%s)', OLD.status, array_to_string(allowed, ', '),
                    CASE WHEN person AND OLD.status IN ('draft', 'scheduled') THEN '; the rest is done by the publishing functions' ELSE '' END) END
          USING ERRCODE = 'check_violation', CONSTRAINT = 'social_posts_status_transition', TABLE = 'social_posts', COLUMN = 'status';
      END IF;
    END IF;
  END IF;

  -- Approval: where the workspace requires it, a person schedules only as one of its admins.
  IF person AND NEW.status = 'scheduled' AND (TG_OP = 'INSERT' OR OLD.status <> 'scheduled') THEN
    ws := coalesce(NEW.workspace_id,
                   (SELECT a.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id),
                   (SELECT ct.workspace_id FROM content_templates ct WHERE ct.id = NEW.template_id));
    SELECT w.publish_requires_approval INTO needs_approval FROM workspaces w WHERE w.id = ws;
    IF needs_approval AND NOT ws = ANY (social_private.member_workspaces('admin')) THEN
      RAISE EXCEPTION 'status: posts of this workspace are scheduled by an admin; submit it for approval (status pending_approval)'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;

  IF NEW.status = 'scheduled' THEN
    rescheduled := TG_OP = 'INSERT' OR OLD.status <> 'scheduled' OR NEW.scheduled_at IS DISTINCT FROM OLD.scheduled_at;
    IF NEW.next_attempt_at IS NULL
       OR (rescheduled AND (person OR TG_OP = 'INSERT' OR NEW.next_attempt_at IS NOT DISTINCT FROM OLD.next_attempt_at)) THEN
      NEW.next_attempt_at := NEW.scheduled_at;
      IF rescheduled THEN NEW.publish_wait_reason := NULL; END IF;
    ELSIF person AND NEW.next_attempt_at IS DISTINCT FROM OLD.next_attempt_at THEN
      RAISE EXCEPTION 'next_attempt_at is written by the publishing functions; change scheduled_at instead'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  ELSE
    NEW.next_attempt_at := NULL;
    NEW.publish_wait_reason := NULL;
  END IF;
  IF NEW.status NOT IN ('publishing', 'unknown') THEN
    NEW.claim_token := NULL;
    NEW.claimed_by := NULL;
    NEW.lease_expires_at := NULL;
  END IF;
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.social_posts_publish_state() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.social_posts_publish_state() TO service_role;
