-- Keyword recall: every store recall reads gets its text as a tsvector, kept by the
-- server (a generated column, so no write path can forget it), with a GIN index.
--
-- The 'english' configuration, not 'simple': websearch_to_tsquery requires every word
-- of the query, and under 'simple' that includes "what", "is" and "the", so a query such
-- as "what is SKU-4471-B" would match nothing. 'english' drops those and folds
-- inflections ("shipped" finds "ship"); product codes, hashtags and names come out as
-- the same lexemes under both. Text in other languages is still found by its exact
-- words (both sides are stemmed alike) and, by its meaning, by the semantic ranking.
-- Episodic rows written before their content existed have a NULL content: no lexemes.
ALTER TABLE episodic_memories ADD COLUMN IF NOT EXISTS content_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(content, ''))) STORED;
ALTER TABLE semantic_memories ADD COLUMN IF NOT EXISTS content_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(content, ''))) STORED;
ALTER TABLE procedural_memories ADD COLUMN IF NOT EXISTS content_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(content, ''))) STORED;
CREATE INDEX IF NOT EXISTS episodic_memories_content_tsv
  ON episodic_memories USING gin (content_tsv);
CREATE INDEX IF NOT EXISTS semantic_memories_content_tsv
  ON semantic_memories USING gin (content_tsv);
CREATE INDEX IF NOT EXISTS procedural_memories_content_tsv
  ON procedural_memories USING gin (content_tsv);

-- Trigram indexes for the fallback of short and misspelled queries, where pg_trgm was
-- created (migration 0090); without it the application never asks for trigrams.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX IF NOT EXISTS episodic_memories_content_trgm
      ON episodic_memories USING gin (content gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS semantic_memories_content_trgm
      ON semantic_memories USING gin (content gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS procedural_memories_content_trgm
      ON procedural_memories USING gin (content gin_trgm_ops);
  END IF;
END
$$;
