-- Extensions every later migration relies on (gen_random_uuid() is built in from 13).
CREATE EXTENSION IF NOT EXISTS vector;
