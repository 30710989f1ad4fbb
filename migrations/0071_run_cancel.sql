-- A run can be cancelled: it stops after the step in flight.
ALTER TABLE workflow_runs DROP CONSTRAINT IF EXISTS workflow_runs_status_check;
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_status_check
  CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'cancelled'));
-- a workflow's runs, newest first, by status
CREATE INDEX IF NOT EXISTS workflow_runs_workflow_status
  ON workflow_runs (workflow_id, status, started_at DESC, id DESC);
