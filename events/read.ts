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
};

/** Reads the log in position order: after a position, optionally up to one, optionally only some types. */
export function readEvents(db: Database, q: { after?: number; limit?: number; to?: number; types?: readonly string[] }): RecordedEvent[] {
  const types = q.types ? `AND type IN (${q.types.map((t) => `'${t.replace(/'/g, "''")}'`).join(',')})` : '';
  return db
    .query<Row, [number, number, number]>(`SELECT * FROM events WHERE position > ? AND position <= ? ${types} ORDER BY position LIMIT ?`)
    .all(q.after ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.limit ?? 1000)
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
