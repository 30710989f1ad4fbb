-- Every status a run can have: queued (handed off, not yet executing), waiting (a
-- step waits for an event) and the rest. Stated once, after both were introduced.
ALTER TABLE workflow_runs DROP CONSTRAINT IF EXISTS workflow_runs_status_check;
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_status_check CHECK (status IN (
  'queued', 'running', 'sleeping', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled'
));
