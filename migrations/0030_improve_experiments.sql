-- Experiments: at most one running experiment per user and agent (so a run knows its
-- variant), a per-experiment sample cap for the stop rule, and observations keyed by
-- the feedback or metric row they came from, so none is counted twice.

ALTER TABLE experiments ADD COLUMN IF NOT EXISTS max_samples integer;
CREATE UNIQUE INDEX IF NOT EXISTS experiments_one_running_per_agent
  ON experiments (user_id, agent_id) WHERE status = 'running';

ALTER TABLE experiment_observations ADD COLUMN IF NOT EXISTS source_id text;
CREATE UNIQUE INDEX IF NOT EXISTS experiment_observations_source
  ON experiment_observations (experiment_id, source, source_id);
