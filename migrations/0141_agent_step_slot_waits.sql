-- An agent step whose agent's pool is full puts its run to sleep at the step, holding
-- no process: slot_agent_id names the pool it waits for, slot_wait_since when it first
-- waited (a freed slot goes to the call waiting longest). Both are cleared when the
-- step takes its slot.
ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS slot_agent_id text;
ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS slot_wait_since timestamptz;
CREATE INDEX IF NOT EXISTS workflow_runs_slot_wait
  ON workflow_runs (slot_agent_id, slot_wait_since)
  WHERE status = 'sleeping' AND slot_agent_id IS NOT NULL;
