-- The lists the console reads, each a keyset page newest first led by user_id: a
-- user's runs of every workflow by status (GET /api/workflow/runs?status=; without a
-- status, workflow_runs_user serves it), and a user's episodic memories of one
-- interaction type, which is how evolutions are recorded (GET /api/evolver/history),
-- with the lookup of one evolution by the evolutionId its context holds.
CREATE INDEX IF NOT EXISTS workflow_runs_user_status
  ON workflow_runs (user_id, status, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS episodic_memories_user_type_created
  ON episodic_memories (user_id, interaction_type, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS episodic_memories_evolution_id
  ON episodic_memories (user_id, (context ->> 'evolutionId')) WHERE interaction_type = 'evolution';
