-- pg_trgm (trigram similarity) where the server has it: the embedded PostgreSQL and
-- Cloud SQL do. A server without it (or a role not allowed to create it) keeps working:
-- the application reads from pg_extension whether it is there before using it.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN undefined_file OR feature_not_supported OR insufficient_privilege THEN
  RAISE NOTICE 'pg_trgm is not available on this server: %', SQLERRM;
END
$$;
