-- An agent step's interaction carries the step's effect key (run id and step id), so a
-- step executed again after its process died finds it instead of remembering it twice.
CREATE INDEX IF NOT EXISTS episodic_memories_effect_key
  ON episodic_memories (user_id, (context->>'effectKey'))
  WHERE context ? 'effectKey';
