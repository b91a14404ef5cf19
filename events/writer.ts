import type { Database } from 'bun:sqlite';
import { ConcurrencyError, ProjectionError } from '../src/errors';
import { newEventId } from './ids';
import type { Projection } from './projection';
import { applyEvent } from './projections/runner';
import { toRecorded, type Row } from './read';
import { schemaVersions, type RecordedEvent, type VoxEvent } from './types';

/** `any`, `no_stream`, `stream_exists`, or the exact version the stream must be at. */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendResult {
  /** The stream's version after the append. */
  readonly nextVersion: number;
  /** Global position of the last event of this append. */
  readonly lastPosition: number;
  readonly events: readonly RecordedEvent[];
}

export interface AppendRequest {
  readonly streamId: string;
  readonly events: readonly VoxEvent[];
  readonly expected: ExpectedVersion;
}

/**
 * Writes one append into `db` (inside the caller's transaction): checks the expected version,
 * inserts each event not stored already (by id), and runs the projections on it. The rows written
 * are pushed onto `written` (a node on PostgreSQL sends them there).
 */
export function writeAppend(db: Database, projections: readonly Projection[], createdAt: string, p: AppendRequest, written: Row[] = []): AppendResult {
  const current = streamVersion(db, p.streamId);
  try {
    checkExpected(p.streamId, p.expected, current);
  } catch (err) {
    // An idempotent retry of an append that did commit: the version moved, but by these very events.
    const retried = storedAlready(db, p, current);
    if (retried) return retried;
    throw err;
  }
  // An event whose id is stored already (a retry) is skipped by the conflict clause, not looked up
  // first: one statement per event on the hot path (every partial is an append).
  const insert = db.query<Row, [string, string, number, string, number, string, string, string, string | null]>(
    `INSERT INTO events (id, stream_id, version, type, schema_version, data, metadata, created_at, user_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *`,
  );
  let version = current;
  const recorded: RecordedEvent[] = [];
  for (const e of p.events) {
    const row = insert.get(e.id ?? newEventId(), p.streamId, version + 1, e.type, schemaVersions[e.type], JSON.stringify(e.data), JSON.stringify(e.metadata ?? {}), createdAt, ownerOf(e));
    if (!row) continue;
    version += 1;
    const rec = toRecorded(row);
    project(db, projections, rec);
    recorded.push(rec);
    written.push(row);
  }
  if (recorded.length === 0 && p.events.length > 0) return storedAlready(db, p, current)!;
  return { nextVersion: version, lastPosition: recorded[recorded.length - 1]?.position ?? 0, events: recorded };
}

/** The stream's version in `db` (0 when it has no events). */
export const streamVersion = (db: Database, streamId: string): number =>
  db.query<{ v: number | null }, [string]>('SELECT MAX(version) AS v FROM events WHERE stream_id = ?').get(streamId)?.v ?? 0;

/** Stores rows another node committed (same position, id and version) and projects them. */
export function writeCommitted(db: Database, projections: readonly Projection[], row: Row): RecordedEvent {
  db.query(
    `INSERT INTO events (position, id, stream_id, version, type, schema_version, data, metadata, created_at, user_id)
     VALUES ($position, $id, $stream_id, $version, $type, $schema_version, $data, $metadata, $created_at, $user_id)`,
  ).run(row);
  const rec = toRecorded(row);
  project(db, projections, rec);
  return rec;
}

/** When every event of `p` is stored already (by id): where the last one went; else undefined. */
function storedAlready(db: Database, p: AppendRequest, current: number): AppendResult | undefined {
  if (p.events.length === 0 || p.events.some((e) => !e.id)) return undefined;
  const known = p.events.map((e) => db.query<Row, [string]>('SELECT * FROM events WHERE id = ?').get(e.id!));
  if (known.some((k) => k === null)) return undefined;
  return { nextVersion: current, lastPosition: known[known.length - 1]!.position, events: [] };
}

function project(db: Database, projections: readonly Projection[], e: RecordedEvent): void {
  for (const projection of projections) {
    try {
      applyEvent(db, projection, e);
    } catch (cause) {
      throw new ProjectionError(projection.name, e.type, cause);
    }
  }
}

/** The owner recorded in the `user_id` column, so reads can be filtered by it. */
const ownerOf = (e: VoxEvent): string | null => (typeof e.metadata?.user_id === 'string' ? e.metadata.user_id : null);

function checkExpected(streamId: string, expected: ExpectedVersion, current: number): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 0) ||
    (expected === 'stream_exists' && current > 0) ||
    (typeof expected === 'number' && expected === current);
  if (!ok) throw new ConcurrencyError(streamId, expected, current);
}
