-- Who an event belongs to (copied from metadata.user_id at append), so reads can be filtered by owner.
ALTER TABLE events ADD COLUMN user_id TEXT;
CREATE INDEX events_owner ON events (user_id, position);
