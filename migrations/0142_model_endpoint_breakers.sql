-- The circuit breaker's state shared by every instance: a model endpoint (a model, or
-- a Vertex AI location and model) that answered 429/5xx is left out until open_until
-- by every instance, which each read at most once per MODEL_ENDPOINT_SHARE_SECONDS.
-- One row per endpoint that was ever left out; a row whose open_until passed is closed.
CREATE TABLE IF NOT EXISTS model_endpoint_breakers (
  endpoint text PRIMARY KEY,
  open_until timestamptz NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now()
);
