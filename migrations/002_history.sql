-- Projection: one row per final transcript.
CREATE TABLE history (
  id         TEXT    PRIMARY KEY,
  session_id TEXT    NOT NULL,
  model_id   TEXT    NOT NULL,
  content    TEXT    NOT NULL,
  latency_ms INTEGER NOT NULL,
  created_at TEXT    NOT NULL,
  position   INTEGER NOT NULL
);
CREATE INDEX history_newest ON history (created_at DESC, position DESC);
CREATE INDEX history_session ON history (session_id, position);
CREATE INDEX history_model ON history (model_id, position);
