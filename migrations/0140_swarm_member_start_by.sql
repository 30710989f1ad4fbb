-- A swarm member handed off is queued until a workflow-run delivery claims it;
-- start_by is when the per-minute job hands it off again if none did (the message
-- was lost, or the publish failed). Members queued before this column existed get
-- the time they were inserted, so the per-minute job sees to them too.
ALTER TABLE swarm_members ADD COLUMN IF NOT EXISTS start_by timestamptz;
UPDATE swarm_members SET start_by = created_at
  WHERE status = 'queued' AND slot_wait_since IS NULL AND start_by IS NULL;
CREATE INDEX IF NOT EXISTS swarm_members_start_by ON swarm_members (start_by)
  WHERE status = 'queued' AND slot_wait_since IS NULL;
