import type { Database } from 'bun:sqlite';
import { schemaVersions, upcast, type EventType, type RecordedEvent } from './types';

/** An `events` row as SQLite returns it. */
export type Row = {
  position: number;
  id: string;
  stream_id: string;
  version: number;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  created_at: string;
  user_id: string | null;
};

/** Reads the log in position order: after a position, optionally up to one, optionally only some types. */
export function readEvents(db: Database, q: { after?: number; limit?: number; to?: number; types?: readonly string[]; owner?: string }): RecordedEvent[] {
  const types = q.types ? `AND type IN (${q.types.map((t) => `'${t.replace(/'/g, "''")}'`).join(',')})` : '';
  const owner = q.owner === undefined ? '' : 'AND user_id = $owner';
  return db
    .query<Row, Record<string, string | number>>(`SELECT * FROM events WHERE position > $after AND position <= $to ${types} ${owner} ORDER BY position LIMIT $limit`)
    .all({ after: q.after ?? 0, to: q.to ?? Number.MAX_SAFE_INTEGER, limit: q.limit ?? 1000, ...(q.owner === undefined ? {} : { owner: q.owner }) })
    .map(toRecorded);
}

export function toRecorded(r: Row): RecordedEvent {
  const type = r.type as EventType;
  return {
    id: r.id,
    streamId: r.stream_id,
    version: r.version,
    position: r.position,
    // Data is upcast on read, so it is always in the current schema's shape.
    schemaVersion: schemaVersions[type] ?? r.schema_version,
    createdAt: r.created_at,
    type,
    data: upcast(type, r.schema_version, JSON.parse(r.data)),
    metadata: JSON.parse(r.metadata),
  } as RecordedEvent;
}
