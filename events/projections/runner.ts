import type { Database } from 'bun:sqlite';
import type { Projection } from '../projection';
import { readEvents } from '../read';
import type { RecordedEvent } from '../types';

/** Runs a projection's statements for one event on `db`. */
export function applyEvent(db: Database, projection: Projection, event: RecordedEvent): void {
  if (!projection.canHandle.includes(event.type)) return;
  for (const s of projection.evolve(event)) db.query(s.sql).run(s.params);
}

/**
 * Feeds every event of `source` (after `after`, up to `to`) through `projections` into `target`, in batches,
 * reporting progress. `source` and `target` may be the same database.
 */
export function replayInto(
  source: Database,
  target: Database,
  projections: readonly Projection[],
  options: { after?: number; to?: number; batch?: number; onProgress?: (done: number, last: number) => void } = {},
): number {
  const types = [...new Set(projections.flatMap((p) => p.canHandle))];
  let after = options.after ?? 0;
  let done = 0;
  for (;;) {
    const events = readEvents(source, { after, limit: options.batch ?? 10_000, types, to: options.to });
    if (events.length === 0) return done;
    target.transaction(() => {
      for (const e of events) for (const p of projections) applyEvent(target, p, e);
    })();
    done += events.length;
    after = events[events.length - 1]!.position;
    options.onProgress?.(done, after);
  }
}

/** Creates each projection's tables in `db` from scratch. */
export function recreateTables(db: Database, projection: Projection): void {
  for (const t of projection.tables) db.exec(`DROP TABLE IF EXISTS ${t}`);
  if (projection.init.trim()) db.exec(projection.init);
}

/**
 * Makes every projection's tables match its code: a projection whose recorded version differs
 * (or that was never built) is dropped and rebuilt from the whole log. Returns the rebuilt names.
 */
export function ensureProjections(db: Database, projections: readonly Projection[], now = () => new Date()): string[] {
  const built = new Map(db.query<{ name: string; version: number }, []>('SELECT name, version FROM projection_versions').all().map((r) => [r.name, r.version]));
  const stale = projections.filter((p) => built.get(p.name) !== p.version);
  if (stale.length === 0) return [];
  db.transaction(() => {
    // Rebuild in declared order: a later projection may read an earlier one's tables.
    for (const p of stale) recreateTables(db, p);
    replayInto(db, db, stale);
    for (const p of stale) {
      db.query('INSERT INTO projection_versions (name, version, built_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, built_at = excluded.built_at').run(
        p.name,
        p.version,
        now().toISOString(),
      );
    }
  })();
  return stale.map((p) => p.name);
}
