-- The policies are the single source of truth: a policy FOR SELECT TO authenticated becomes GRANT SELECT
-- TO authenticated, FOR ALL becomes the four commands, and nothing else is granted to anon/authenticated.
-- service_role gets everything. Partitions are closed by name (their parent's policies do not apply to
-- them). Views and materialized views have no row-level security, so they are closed to the API roles.
-- Idempotent; run again (by the tables' owner) in any migration that adds a table, view or policy.
CREATE OR REPLACE FUNCTION public.sync_api_grants(relations regclass[])
 RETURNS TABLE(relation text, grantee text, privileges text)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  rel regclass;
  target record;
  pol record;
  seq record;
  api_role text;
  granted text[];
BEGIN
  IF relations IS NULL OR cardinality(relations) = 0 THEN
    RAISE EXCEPTION 'relations: name at least one table' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH rel IN ARRAY relations LOOP
    IF rel IS NULL THEN
      RAISE EXCEPTION 'relations: contains NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- GRANT by a non-owner only warns and changes nothing; fail instead of reporting grants that did not happen.
    IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = rel), 'USAGE') THEN
      RAISE EXCEPTION 'relations: % is not owned by %, who therefore cannot change its grants', rel, current_user
        USING ERRCODE = 'insufficient_privilege';
    END IF;

    FOR seq IN
      SELECT d.objid::regclass AS oid FROM pg_depend d
      WHERE d.refobjid = rel AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        AND (SELECT s.relkind FROM pg_class s WHERE s.oid = d.objid) = 'S'
    LOOP
      EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC, anon, authenticated', seq.oid);
      EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %s TO service_role', seq.oid);
    END LOOP;

    -- The relation and, for a partitioned table, every partition: partitions are reachable by name.
    FOR target IN
      SELECT c.oid::regclass AS oid, c.relkind, c.relispartition
      FROM pg_class c
      WHERE c.oid = rel OR c.oid IN (SELECT t.relid FROM pg_partition_tree(rel) t)
      ORDER BY c.relispartition, c.oid
    LOOP
      IF target.relkind NOT IN ('r', 'p', 'v', 'm') THEN
        RAISE EXCEPTION 'relations: % is neither a table nor a view', target.oid USING ERRCODE = 'wrong_object_type';
      END IF;
      -- Closed first (Supabase's default privileges give the API roles ALL, TRUNCATE included, and
      -- TRUNCATE ignores row-level security), then exactly what the policies below need.
      EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC, anon, authenticated', target.oid);
      IF target.relkind IN ('r', 'p') THEN
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE %s TO service_role', target.oid);
        relation := target.oid::text; grantee := 'service_role'; privileges := 'ALL';
        RETURN NEXT;
      ELSE
        -- Views and materialized views: no row-level security of their own, so server-side only.
        EXECUTE format('GRANT SELECT ON TABLE %s TO service_role', target.oid);
        relation := target.oid::text; grantee := 'service_role'; privileges := 'SELECT';
        RETURN NEXT;
      END IF;
      -- A partition is read through its parent, whose policies apply; by its own name it stays closed.
      CONTINUE WHEN target.relispartition OR target.relkind NOT IN ('r', 'p');

      FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        granted := ARRAY[]::text[];
        FOR pol IN
          SELECT p.polname, p.polcmd, p.polroles
          FROM pg_policy p
          WHERE p.polrelid = target.oid
        LOOP
          IF 0::oid = ANY (pol.polroles) THEN
            RAISE EXCEPTION 'policy % on % applies to PUBLIC: name the roles it is for', pol.polname, target.oid
              USING ERRCODE = 'invalid_object_definition';
          END IF;
          CONTINUE WHEN NOT (api_role::regrole::oid = ANY (pol.polroles));
          granted := granted || CASE pol.polcmd
            WHEN 'r' THEN ARRAY['SELECT']
            WHEN 'a' THEN ARRAY['INSERT']
            WHEN 'w' THEN ARRAY['UPDATE']
            WHEN 'd' THEN ARRAY['DELETE']
            ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']
          END;
        END LOOP;
        CONTINUE WHEN cardinality(granted) = 0;
        SELECT array_agg(DISTINCT g ORDER BY g) INTO granted FROM unnest(granted) g;
        EXECUTE format('GRANT %s ON TABLE %s TO %I', array_to_string(granted, ', '), target.oid, api_role);
        relation := target.oid::text; grantee := api_role; privileges := array_to_string(granted, ', ');
        RETURN NEXT;

        -- Sequences behind serial/identity columns: whoever may insert may draw the next value.
        IF 'INSERT' = ANY (granted) THEN
          FOR seq IN
            SELECT d.objid::regclass AS oid FROM pg_depend d
            WHERE d.refobjid = target.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
              AND (SELECT s.relkind FROM pg_class s WHERE s.oid = d.objid) = 'S'
          LOOP
            EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', seq.oid, api_role);
          END LOOP;
        END IF;
      END LOOP;
    END LOOP;

  END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION public.sync_api_grants(regclass[]) FROM PUBLIC, anon, authenticated, service_role;
