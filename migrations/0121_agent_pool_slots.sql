-- Agent pools: one row per call of an agent in flight, so a limit per agent holds
-- across every function instance. A slot is taken under a transaction-scoped advisory
-- lock on the agent (counting and inserting cannot interleave), and expires if its
-- holder dies. A swarm member that found no slot goes back to queued with
-- slot_wait_since, and is handed off again when a slot of its agent frees.
CREATE TABLE IF NOT EXISTS agent_pool_slots (
  holder text PRIMARY KEY,
  agent_id text NOT NULL,
  user_id text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_pool_slots_agent ON agent_pool_slots (agent_id, user_id);
ALTER TABLE swarm_members ADD COLUMN IF NOT EXISTS slot_wait_since timestamptz;
CREATE INDEX IF NOT EXISTS swarm_members_slot_wait ON swarm_members (agent_id, slot_wait_since)
  WHERE status = 'queued' AND slot_wait_since IS NOT NULL;
