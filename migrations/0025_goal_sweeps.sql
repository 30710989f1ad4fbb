-- One fan-out of goal generation per day: the key that makes a second sweep the same
-- day request nothing.
CREATE TABLE IF NOT EXISTS goal_sweeps (day date PRIMARY KEY);
ALTER TABLE goal_sweeps
  ADD COLUMN IF NOT EXISTS requested integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
