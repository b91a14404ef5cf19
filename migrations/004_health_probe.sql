-- Scratch rows /health writes and deletes to prove the log's file can still take new pages.
CREATE TABLE health_probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL, pad BLOB);
