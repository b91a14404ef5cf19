import { Database } from 'bun:sqlite';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyToPostgres } from '../../events/copy';
import { projections } from '../../events/projections';
import { recreateTables, replayInto } from '../../events/projections/runner';
import { openEventLog } from '../../src/event-log';
import { freshDatabase } from '../../scripts/postgres';
import { concurrency } from './concurrency';
import { generateLog } from './eventlog';

export interface NodesResult {
  /** PostgreSQL as the benchmark ran it: its defaults (fsync and synchronous commit on), on this machine. */
  readonly postgres: string;
  readonly appends: number;
  /** Single-event appends with every projection, 500 in flight per node, each node its own process. */
  readonly appends_per_s: { sqlite_one_node: number; postgres_one_node: number; postgres_two_nodes: number };
  readonly replay: {
    readonly log_events: number;
    /** Baseline: projections rebuilt from the SQLite file. */
    readonly sqlite_rebuild_per_s: number;
    /** A new node catching up from PostgreSQL: rows fetched, stored in its replica, projected. */
    readonly postgres_catch_up_per_s: number;
    /** `bun run log copy` moving the SQLite log into PostgreSQL (before its verification). */
    readonly copy_per_s: number;
    readonly copy_verified: boolean;
  };
  readonly holding: { readonly model: string; readonly one_node_postgres: number; readonly two_nodes_postgres: number };
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** Appends from `targets.length` writer processes at once; events per second over the slowest. */
async function appendRate(targets: string[], perNode: number, dir: string): Promise<number> {
  const runs = targets.map((t, i) => {
    const replica = join(dir, `replica-${Date.now()}-${i}`);
    mkdirSync(replica, { recursive: true });
    return Bun.spawn(['bun', join(import.meta.dir, '../lib/appender.ts'), t, String(perNode), replica], { stdout: 'pipe', stderr: 'inherit' });
  });
  const ms = await Promise.all(runs.map(async (p) => (JSON.parse(await new Response(p.stdout).text()) as { ms: number }).ms));
  return rate(perNode * targets.length, Math.max(...ms));
}

export async function nodes(o: { appends: number; logEvents: number; model: string; levels: number[]; seconds: number; clips: Uint8Array[]; refine: boolean }): Promise<NodesResult> {
  const dir = mkdtempSync(join(tmpdir(), 'voxlog-bench-nodes-'));
  try {
    const appendsPerS = {
      sqlite_one_node: await appendRate([join(dir, 'appends.sqlite')], o.appends, dir),
      postgres_one_node: await appendRate([await freshDatabase(true)], o.appends, dir),
      postgres_two_nodes: await (async () => {
        const url = await freshDatabase(true);
        return appendRate([url, url], o.appends / 2, dir);
      })(),
    };

    const logPath = join(dir, 'log.sqlite');
    generateLog(logPath, o.logEvents);
    const source = new Database(logPath, { readonly: true, strict: true });
    const logEvents = (source.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const rebuilt = new Database(':memory:', { strict: true });
    for (const p of projections) recreateTables(rebuilt, p);
    const r0 = performance.now();
    replayInto(source, rebuilt, projections);
    const rebuildMs = performance.now() - r0;
    source.close();
    rebuilt.close();
    const url = await freshDatabase(true);
    const copy = await copyToPostgres(logPath, url, projections, () => {});
    // A new node, opened as the server opens one (connect, replica in memory, catch up from position 0).
    const c0 = performance.now();
    const node = await openEventLog({ dataDir: null, databaseUrl: url, synchronous: 'NORMAL', projections });
    const catchUpMs = performance.now() - c0;
    await node.close();

    const sweep = async (nodeEnvs: Record<string, string>[]) =>
      (await concurrency(o.clips, o.levels, o.seconds, { VOXLOG_DEFAULT_MODEL: o.model, VOXLOG_DATABASE_URL: await freshDatabase(true) }, o.refine, nodeEnvs)).largest_holding;
    const holding = {
      model: o.model,
      one_node_postgres: await sweep([{}]),
      // The same cores either way: two nodes get one engine worker each where one node has two.
      two_nodes_postgres: await sweep([
        { VOXLOG_NODE_ID: 'bench-a', VOXLOG_WORKERS_PER_MODEL: '1' },
        { VOXLOG_NODE_ID: 'bench-b', VOXLOG_WORKERS_PER_MODEL: '1' },
      ]),
    };
    return {
      postgres: 'Debian PostgreSQL, defaults (fsync on, synchronous_commit on), loopback TCP',
      appends: o.appends,
      appends_per_s: appendsPerS,
      // Both rates over every event of the log (a rebuild skips the types no projection reads; a catch-up stores them all).
      replay: { log_events: logEvents, sqlite_rebuild_per_s: rate(logEvents, rebuildMs), postgres_catch_up_per_s: rate(copy.copied, catchUpMs), copy_per_s: rate(copy.copied, copy.copySeconds * 1000), copy_verified: copy.ok },
      holding,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
