-- Flow control per workflow (concurrency, rate limit, debounce, priority), enforced
-- when a run is claimed and when it begins, under a transaction-scoped advisory lock
-- on the workflow, so it holds across every function instance. A run carries the
-- workflow's settings as they were when it was claimed, its key (rendered from its
-- trigger data) and its priority. A run held back by the concurrency limit is queued
-- with held = true until a run of its workflow and key ends; a debounced run sleeps,
-- debouncing, until its workflow and key have been quiet long enough.
ALTER TABLE workflows ADD COLUMN IF NOT EXISTS flow_control jsonb;
ALTER TABLE workflow_runs
  ADD COLUMN IF NOT EXISTS flow_control jsonb,
  ADD COLUMN IF NOT EXISTS flow_key text,
  ADD COLUMN IF NOT EXISTS priority integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS held boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS debouncing boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS workflow_runs_flow ON workflow_runs (workflow_id, flow_key, started_at)
  WHERE flow_control IS NOT NULL;
CREATE INDEX IF NOT EXISTS workflow_runs_held ON workflow_runs (workflow_id, priority DESC, started_at)
  WHERE held;
