-- A run can be queued: claimed by what started it and handed to its own execution
-- (the workflow-run function), not yet executing. A queued run holds no lease;
-- start_by is when the per-minute job starts it itself if no hand-off did (the
-- publish failed, the message was lost).
ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS start_by timestamptz;
ALTER TABLE workflow_runs DROP CONSTRAINT IF EXISTS workflow_runs_status_check;
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_status_check
  CHECK (status IN ('queued', 'running', 'sleeping', 'succeeded', 'failed', 'skipped', 'cancelled'));
CREATE INDEX IF NOT EXISTS workflow_runs_queued ON workflow_runs (start_by)
  WHERE status = 'queued';
