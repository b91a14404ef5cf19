-- The shared event log on PostgreSQL: the same columns as SQLite's `events`, one row per event.
-- Positions are assigned by the appending node under the append lock (max + 1), so they are dense
-- and commit in order (DESIGN.md, "Several nodes"); there is no sequence.
CREATE TABLE events (
  position       bigint  PRIMARY KEY,
  id             text    NOT NULL UNIQUE,
  stream_id      text    NOT NULL,
  version        integer NOT NULL,
  type           text    NOT NULL,
  schema_version integer NOT NULL DEFAULT 1,
  data           text    NOT NULL,
  metadata       text    NOT NULL DEFAULT '{}',
  created_at     text    NOT NULL,
  user_id        text,
  UNIQUE (stream_id, version)
);
CREATE INDEX events_type ON events (type, position);
CREATE INDEX events_owner ON events (user_id, position);
-- Which log this is: a node's local replica is named after it, so a replica never mixes two logs.
CREATE TABLE log_identity (id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO log_identity (id) VALUES (replace(gen_random_uuid()::text, '-', ''));
-- The row /health writes on each node to prove the log takes writes.
CREATE TABLE health_probe (node text PRIMARY KEY, at timestamptz NOT NULL);
