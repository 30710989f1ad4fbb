-- The per-minute job looks for runs left "running" by a process that stopped.
CREATE INDEX IF NOT EXISTS workflow_runs_running ON workflow_runs (started_at) WHERE status = 'running';
