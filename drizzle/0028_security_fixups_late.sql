-- Grants for tables added after 0018, found by tests/rls*.test.ts: topic_comment_queue (0026) was
-- closed to the API roles but never granted to service_role, so ingestion as service_role could not
-- queue comments. Server-only: its one policy is for service_role.
SELECT count(*) FROM sync_api_grants(ARRAY['topic_comment_queue']::regclass[]);
