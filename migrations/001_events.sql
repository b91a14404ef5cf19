-- The append-only event log: the single source of truth every view is built from.
CREATE TABLE events (
  position       INTEGER PRIMARY KEY AUTOINCREMENT,
  id             TEXT    NOT NULL UNIQUE,
  stream_id      TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL DEFAULT 1,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL DEFAULT '{}',
  created_at     TEXT    NOT NULL,
  UNIQUE (stream_id, version)
);
CREATE INDEX events_type ON events (type, position);
