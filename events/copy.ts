import { Database } from 'bun:sqlite';
import { SQL } from 'bun';
import { APPEND_LOCK, openPgLog } from './pg-log';
import type { Projection } from './projection';
import { compare, sameRows, type TableDiff } from './projections/verify';
import { recreateTables, replayInto } from './projections/runner';
import type { Row } from './read';
import { openEventLog } from '../src/event-log';

/** Rows per INSERT: PostgreSQL takes at most 65535 parameters in a statement, and a row has 10. */
const BATCH = 5_000;

export interface CopyReport {
  readonly copied: number;
  readonly copySeconds: number;
  readonly verifySeconds: number;
  /** The copied rows against the source's, then every projection table built from the copy against one rebuilt from the source. */
  readonly tables: readonly TableDiff[];
  readonly ok: boolean;
}

/**
 * Copies the SQLite log at `from` into the empty PostgreSQL log at `to` (positions, ids, versions
 * and stored schema versions kept), in one transaction under the append lock, then verifies: a
 * node's replica is built from the copy, as a new node would build it, and its events and every
 * projection table must equal the source's events and projections rebuilt from them.
 */
export async function copyToPostgres(from: string, to: string, projections: readonly Projection[], onProgress: (done: number, total: number, phase: string) => void): Promise<CopyReport> {
  const source = new Database(from, { readonly: true, strict: true });
  try {
    const total = (source.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const t0 = performance.now();
    await openPgLog(to).then((log) => log.close()); // migrates
    const sql = new SQL(to, { max: 1 });
    try {
      await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${APPEND_LOCK})`;
        const [count] = await tx<{ n: string }[]>`SELECT COUNT(*) AS n FROM events`;
        const n = Number(count!.n);
        if (n > 0) throw new Error(`the PostgreSQL log already holds ${n} events; copy into an empty database`);
        const page = source.query<Row, [number, number]>('SELECT position, id, stream_id, version, type, schema_version, data, metadata, created_at, user_id FROM events WHERE position > ? ORDER BY position LIMIT ?');
        for (let after = 0, done = 0; ; ) {
          const rows = page.all(after, BATCH);
          if (rows.length === 0) break;
          await tx`INSERT INTO events ${tx(rows)}`;
          done += rows.length;
          after = rows[rows.length - 1]!.position;
          onProgress(done, total, 'copied');
        }
      });
    } finally {
      await sql.close();
    }
    const copySeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const tables = await verifyCopy(source, to, projections, (done) => onProgress(done, total, 'verified'));
    return { copied: total, copySeconds, verifySeconds: (performance.now() - t1) / 1000, tables, ok: tables.every(sameRows) };
  } finally {
    source.close();
  }
}

async function verifyCopy(source: Database, to: string, projections: readonly Projection[], onProgress: (done: number) => void): Promise<TableDiff[]> {
  // A node with its replica in memory, opened as the server opens one: it catches up from the copy.
  const node = await openEventLog({ dataDir: null, databaseUrl: to, synchronous: 'NORMAL', projections, onCatchUp: onProgress });
  const fromSource = new Database(':memory:', { strict: true });
  try {
    for (const p of projections) recreateTables(fromSource, p);
    replayInto(source, fromSource, projections);
    return [compare(source, node.db, 'events'), ...projections.flatMap((p) => p.tables).map((t) => compare(fromSource, node.db, t))];
  } finally {
    await node.close();
    fromSource.close();
  }
}
