-- Which version of each projection built its tables; a bump rebuilds it from the log at start.
CREATE TABLE projection_versions (
  name       TEXT    PRIMARY KEY,
  version    INTEGER NOT NULL,
  built_at   TEXT    NOT NULL
);
