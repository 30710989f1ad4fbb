-- The goal sweep asks which users were active in the last days, across all users
-- (shared/goals/sweep.py). Every other index on these tables leads with user_id, so
-- that question read the whole of both tables: its cost grew with their history, not
-- with the window. Led by created_at, it reads the window only (an index-only scan of
-- the episodic part once the table is vacuumed).
CREATE INDEX IF NOT EXISTS episodic_memories_created_user
  ON episodic_memories (created_at, user_id);
CREATE INDEX IF NOT EXISTS usage_events_created ON usage_events (created_at);
