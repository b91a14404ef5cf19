import { join } from 'node:path';
import { projections } from '../../events/projections';
import { ensureProjections } from '../../events/projections/runner';
import { migrate, openDatabase } from '../../src/db';

/**
 * Writes `n` events into a fresh log in `dataDir` in one statement (engine events: no projection
 * reads them, so a server starts on the log at once). For tests and benchmarks of reading a big log.
 */
export function writeBigLog(dataDir: string, n: number): void {
  const db = openDatabase(join(dataDir, 'voxlog.sqlite'), 'NORMAL');
  migrate(db);
  ensureProjections(db, projections);
  db.query(
    `WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?)
     INSERT INTO events (id, stream_id, version, type, schema_version, data, metadata, created_at)
     SELECT 'big-' || n, 'engine-big', n, 'EngineStarted', 1,
       '{"model_id":"big","load_ms":' || (n % 1000) || ',"worker":0,"restarts":0,"down_ms":0}', '{}', '2026-01-01T00:00:00.000Z' FROM c`,
  ).run(n);
  db.close();
}
