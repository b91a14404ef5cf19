import { Database } from 'bun:sqlite';
import type { Projection } from '../projection';
import { recreateTables, replayInto } from './runner';

export interface TableDiff {
  readonly table: string;
  readonly rows: number;
  readonly onlyInRebuild: string[];
  readonly onlyInLive: string[];
}

/** Whether a table's rows are the same on both sides. */
export const sameRows = (t: TableDiff): boolean => t.onlyInLive.length === 0 && t.onlyInRebuild.length === 0;

export interface Verification {
  readonly ok: boolean;
  readonly total: number;
  readonly replayed: number;
  readonly seconds: number;
  readonly tables: TableDiff[];
}

/**
 * Rebuilds every projection from the log of the SQLite file at `path` into fresh in-memory tables
 * and compares them with the file's live tables. The file is opened read-only, so verifying can
 * never change what it checks; one read transaction holds log and tables at the same snapshot.
 */
export function verifyProjections(path: string, projections: readonly Projection[], onProgress?: (done: number, total: number) => void): Verification {
  const live = new Database(path, { readonly: true, strict: true });
  const fresh = new Database(':memory:', { strict: true });
  try {
    live.exec('BEGIN');
    for (const p of projections) recreateTables(fresh, p);
    const total = (live.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const t0 = performance.now();
    const replayed = replayInto(live, fresh, projections, { onProgress: (done) => onProgress?.(done, total) });
    const seconds = (performance.now() - t0) / 1000;
    const tables = projections.flatMap((p) => p.tables).map((t) => compare(live, fresh, t));
    live.exec('COMMIT');
    const ok = tables.every(sameRows);
    return { ok, total, replayed, seconds, tables };
  } finally {
    live.close();
    fresh.close();
  }
}

/** Walks both tables in primary-key order (the first column), keeping up to 5 differing rows per side. */
export function compare(live: Database, fresh: Database, table: string): TableDiff {
  const exists = live.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  const liveRows = exists ? live.query(`SELECT * FROM ${table} ORDER BY 1`).iterate() : [][Symbol.iterator]();
  const freshRows = fresh.query(`SELECT * FROM ${table} ORDER BY 1`).iterate();
  const onlyInLive: string[] = [];
  const onlyInRebuild: string[] = [];
  const keep = (list: string[], row: unknown) => list.length < 5 && list.push(JSON.stringify(row));
  let rows = 0;
  let a = liveRows.next();
  let b = freshRows.next();
  while (!a.done || !b.done) {
    const ka = a.done ? undefined : Object.values(a.value as object)[0];
    const kb = b.done ? undefined : Object.values(b.value as object)[0];
    if (a.done || (!b.done && String(kb) < String(ka))) {
      keep(onlyInRebuild, b.value), (b = freshRows.next()), rows++;
    } else if (b.done || String(ka) < String(kb)) {
      keep(onlyInLive, a.value), (a = liveRows.next());
    } else {
      if (JSON.stringify(a.value) !== JSON.stringify(b.value)) (keep(onlyInLive, a.value), keep(onlyInRebuild, b.value));
      (a = liveRows.next()), (b = freshRows.next()), rows++;
    }
  }
  return { table, rows, onlyInRebuild, onlyInLive };
}
