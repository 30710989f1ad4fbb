-- Per-user HNSW indexes for the users with many memories.
--
-- A filtered scan of the shared HNSW index (one user's rows among a million) visits
-- mostly other users' tuples and loses recall even with pgvector 0.8's iterative scan.
-- A user past the exact-scan threshold gets an index of their own, a partial HNSW
-- index `WHERE user_id = '<user>'` that recall's `user_id = %s` predicate matches
-- (shared/memory/user_index.py builds it CONCURRENTLY from the daily consolidation
-- request). A row here says the index is built and valid; recall only then searches as
-- if the user were the whole table.
CREATE TABLE IF NOT EXISTS memory_user_indexes (
  user_id TEXT NOT NULL,
  store TEXT NOT NULL,
  index_name TEXT NOT NULL,
  rows_at_build BIGINT NOT NULL,
  build_seconds DOUBLE PRECISION NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, store)
);
