-- Counting a user's comparable memories from an index alone.
--
-- Recall and dedupe-on-write first count the user's rows that a search by vector
-- compares (their embedding model, an embedding, live), to choose between an exact scan
-- and the HNSW index (shared/memory/search.py). That count read every row through the
-- user_id indexes, a heap page per two rows (a vector is stored inline, migration
-- 0060): for a user with 95,000 memories, 48,000 pages, most of a recall's time. These
-- indexes hold only the columns the count tests, deduplicated (no INCLUDE columns), so
-- an index-only scan counts ten thousand rows in a few pages. Their predicate is the
-- part of "live" that does not move with the clock (an expiry time in the future is
-- not counted): the count is a lower bound, which only ever errs towards the exact scan.
CREATE INDEX IF NOT EXISTS episodic_memories_user_model_live
  ON episodic_memories (user_id, embedding_model, agent_id)
  WHERE embedding IS NOT NULL AND archived_at IS NULL;
CREATE INDEX IF NOT EXISTS semantic_memories_user_model_live
  ON semantic_memories (user_id, embedding_model, agent_id)
  WHERE embedding IS NOT NULL AND valid_until IS NULL;
CREATE INDEX IF NOT EXISTS procedural_memories_user_model_live
  ON procedural_memories (user_id, embedding_model, agent_id)
  WHERE embedding IS NOT NULL;
