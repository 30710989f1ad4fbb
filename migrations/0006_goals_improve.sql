-- Goals, the daily generation record, self-improvement and Evolver settings.

CREATE TABLE IF NOT EXISTS goals (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE goals
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS title text NOT NULL,
  ADD COLUMN IF NOT EXISTS description text,
  ADD COLUMN IF NOT EXISTS priority integer NOT NULL DEFAULT 5,
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'active', 'completed', 'abandoned')),
  ADD COLUMN IF NOT EXISTS parent_id uuid REFERENCES goals (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS context jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS embedding vector(768),
  ADD COLUMN IF NOT EXISTS embedding_model text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS completed_at timestamptz;
CREATE INDEX IF NOT EXISTS goals_user_status ON goals (user_id, status);
CREATE INDEX IF NOT EXISTS goals_parent ON goals (parent_id);
CREATE INDEX IF NOT EXISTS goals_embedding ON goals USING hnsw (embedding vector_cosine_ops);

-- Goal suggestions made (kept or dropped), so a rephrased one is not offered again.
CREATE TABLE IF NOT EXISTS goal_suggestions (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE goal_suggestions
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS title text NOT NULL,
  ADD COLUMN IF NOT EXISTS goal_id uuid REFERENCES goals (id) ON DELETE SET NULL,
  ADD COLUMN IF NOT EXISTS embedding vector(768),
  ADD COLUMN IF NOT EXISTS embedding_model text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS goal_suggestions_user ON goal_suggestions (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS goal_suggestions_embedding
  ON goal_suggestions USING hnsw (embedding vector_cosine_ops);

-- One generation per user and day: the key that makes the daily sweep idempotent.
CREATE TABLE IF NOT EXISTS goal_generations (user_id text NOT NULL, day date NOT NULL,
  PRIMARY KEY (user_id, day));
ALTER TABLE goal_generations
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'running',
  ADD COLUMN IF NOT EXISTS result jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS evolver_settings (user_id text NOT NULL, agent_id text NOT NULL,
  PRIMARY KEY (user_id, agent_id));
ALTER TABLE evolver_settings
  ADD COLUMN IF NOT EXISTS enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS max_iterations integer NOT NULL DEFAULT 3
    CHECK (max_iterations BETWEEN 1 AND 5),
  ADD COLUMN IF NOT EXISTS threshold real NOT NULL DEFAULT 0.85
    CHECK (threshold BETWEEN 0 AND 1),
  ADD COLUMN IF NOT EXISTS token_budget integer,
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS agent_feedback (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE agent_feedback
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS agent_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  ADD COLUMN IF NOT EXISTS comment text,
  ADD COLUMN IF NOT EXISTS output_id text,
  ADD COLUMN IF NOT EXISTS output jsonb,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS agent_feedback_user_agent
  ON agent_feedback (user_id, agent_id, created_at DESC);

CREATE TABLE IF NOT EXISTS agent_metrics (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE agent_metrics
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS agent_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS name text NOT NULL,
  ADD COLUMN IF NOT EXISTS value double precision NOT NULL,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS agent_metrics_user_agent
  ON agent_metrics (user_id, agent_id, name, created_at DESC);

CREATE TABLE IF NOT EXISTS agent_improvements (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE agent_improvements
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS agent_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS improvement text NOT NULL,
  ADD COLUMN IF NOT EXISTS evidence jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN IF NOT EXISTS confidence real NOT NULL DEFAULT 0.5,
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'active', 'rejected')),
  ADD COLUMN IF NOT EXISTS embedding vector(768),
  ADD COLUMN IF NOT EXISTS embedding_model text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS decided_at timestamptz;
CREATE INDEX IF NOT EXISTS agent_improvements_user_agent
  ON agent_improvements (user_id, agent_id, status);
CREATE INDEX IF NOT EXISTS agent_improvements_embedding
  ON agent_improvements USING hnsw (embedding vector_cosine_ops);

CREATE TABLE IF NOT EXISTS experiments (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE experiments
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS agent_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS name text NOT NULL,
  ADD COLUMN IF NOT EXISTS variants jsonb NOT NULL,
  ADD COLUMN IF NOT EXISTS metric text NOT NULL DEFAULT 'rating',
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'stopped', 'concluded')),
  ADD COLUMN IF NOT EXISTS min_samples integer NOT NULL DEFAULT 30,
  ADD COLUMN IF NOT EXISTS result jsonb,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS stopped_at timestamptz;
CREATE INDEX IF NOT EXISTS experiments_user ON experiments (user_id, agent_id);

CREATE TABLE IF NOT EXISTS experiment_observations (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE experiment_observations
  ADD COLUMN IF NOT EXISTS experiment_id uuid NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS unit_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS variant text NOT NULL,
  ADD COLUMN IF NOT EXISTS value double precision NOT NULL,
  ADD COLUMN IF NOT EXISTS source text NOT NULL,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS experiment_observations_experiment
  ON experiment_observations (experiment_id, variant);

-- Per-user request budget on the model-costly routes (a fixed window per bucket).
CREATE TABLE IF NOT EXISTS rate_limits (user_id text NOT NULL, bucket text NOT NULL,
  window_start timestamptz NOT NULL, PRIMARY KEY (user_id, bucket, window_start));
ALTER TABLE rate_limits ADD COLUMN IF NOT EXISTS hits integer NOT NULL DEFAULT 0;
