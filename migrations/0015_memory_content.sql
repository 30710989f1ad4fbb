-- Memory writes: episodic memories keep the text that was embedded and hashed (the
-- composed interaction, or the content written through the API), and every store counts
-- how often an identical memory was written again (an exact duplicate refreshes the row
-- instead of adding one, so the repetition itself is not lost).

ALTER TABLE episodic_memories ADD COLUMN IF NOT EXISTS content text;
ALTER TABLE episodic_memories ADD COLUMN IF NOT EXISTS seen_count integer NOT NULL DEFAULT 1;
ALTER TABLE semantic_memories ADD COLUMN IF NOT EXISTS seen_count integer NOT NULL DEFAULT 1;
ALTER TABLE procedural_memories ADD COLUMN IF NOT EXISTS seen_count integer NOT NULL DEFAULT 1;

-- Consolidation reads a user's recent, not yet consolidated episodic memories.
CREATE INDEX IF NOT EXISTS episodic_memories_user_unconsolidated
  ON episodic_memories (user_id, created_at)
  WHERE consolidated_at IS NULL AND archived_at IS NULL;
