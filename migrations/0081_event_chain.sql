-- Loop protection by causation: an event carries the workflows whose runs led to it
-- (their ids, oldest first), and a trigger whose workflow is already in an event's
-- chain is not run unless it opts in to recursion.
ALTER TABLE usage_events
  ADD COLUMN IF NOT EXISTS chain jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE event_triggers
  ADD COLUMN IF NOT EXISTS allow_recursion boolean NOT NULL DEFAULT false;
