-- Memory: episodic, semantic and procedural stores, their history, and the Digital Soul.
-- Each table is created with its key only, then every column is added if missing, so
-- this file is safe on a NEXUS database where some of these tables already exist.

CREATE TABLE IF NOT EXISTS episodic_memories (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE episodic_memories
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS agent_id text,
  ADD COLUMN IF NOT EXISTS interaction_type text,
  ADD COLUMN IF NOT EXISTS input_summary text,
  ADD COLUMN IF NOT EXISTS output_summary text,
  ADD COLUMN IF NOT EXISTS outcome text,
  ADD COLUMN IF NOT EXISTS context jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS importance real NOT NULL DEFAULT 0.5,
  ADD COLUMN IF NOT EXISTS content_hash text,
  ADD COLUMN IF NOT EXISTS embedding vector(768),
  ADD COLUMN IF NOT EXISTS embedding_model text,
  ADD COLUMN IF NOT EXISTS archived_at timestamptz,
  ADD COLUMN IF NOT EXISTS consolidated_at timestamptz,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS episodic_memories_user_created
  ON episodic_memories (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS episodic_memories_user_agent
  ON episodic_memories (user_id, agent_id, interaction_type);
CREATE INDEX IF NOT EXISTS episodic_memories_user_hash
  ON episodic_memories (user_id, content_hash);
CREATE INDEX IF NOT EXISTS episodic_memories_embedding
  ON episodic_memories USING hnsw (embedding vector_cosine_ops);

CREATE TABLE IF NOT EXISTS semantic_memories (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE semantic_memories
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS agent_id text,
  ADD COLUMN IF NOT EXISTS content text NOT NULL,
  ADD COLUMN IF NOT EXISTS category text,
  ADD COLUMN IF NOT EXISTS confidence real NOT NULL DEFAULT 1.0,
  ADD COLUMN IF NOT EXISTS source text,
  ADD COLUMN IF NOT EXISTS metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS source_memory_ids uuid[] NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS valid_from timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS valid_until timestamptz,
  ADD COLUMN IF NOT EXISTS content_hash text,
  ADD COLUMN IF NOT EXISTS embedding vector(768),
  ADD COLUMN IF NOT EXISTS embedding_model text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS semantic_memories_user_category
  ON semantic_memories (user_id, category);
CREATE INDEX IF NOT EXISTS semantic_memories_user_hash
  ON semantic_memories (user_id, content_hash);
CREATE INDEX IF NOT EXISTS semantic_memories_embedding
  ON semantic_memories USING hnsw (embedding vector_cosine_ops);

CREATE TABLE IF NOT EXISTS procedural_memories (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE procedural_memories
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS agent_id text,
  ADD COLUMN IF NOT EXISTS name text,
  ADD COLUMN IF NOT EXISTS content text NOT NULL,
  ADD COLUMN IF NOT EXISTS metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS usage_count integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS success_count integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS content_hash text,
  ADD COLUMN IF NOT EXISTS embedding vector(768),
  ADD COLUMN IF NOT EXISTS embedding_model text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS procedural_memories_user_agent
  ON procedural_memories (user_id, agent_id);
CREATE INDEX IF NOT EXISTS procedural_memories_user_hash
  ON procedural_memories (user_id, content_hash);
CREATE INDEX IF NOT EXISTS procedural_memories_embedding
  ON procedural_memories USING hnsw (embedding vector_cosine_ops);

-- What a near-duplicate write replaced: nothing is silently dropped.
CREATE TABLE IF NOT EXISTS memory_history (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE memory_history
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS memory_type text NOT NULL,
  ADD COLUMN IF NOT EXISTS memory_id uuid NOT NULL,
  ADD COLUMN IF NOT EXISTS previous jsonb NOT NULL,
  ADD COLUMN IF NOT EXISTS reason text NOT NULL,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS memory_history_memory ON memory_history (user_id, memory_id);

-- The Digital Soul, versioned: one current row per user, earlier versions kept.
CREATE TABLE IF NOT EXISTS digital_souls (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE digital_souls
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS semantic_fingerprint jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS exemplars jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN IF NOT EXISTS is_current boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX IF NOT EXISTS digital_souls_user_version ON digital_souls (user_id, version);
CREATE UNIQUE INDEX IF NOT EXISTS digital_souls_user_current
  ON digital_souls (user_id) WHERE is_current;
