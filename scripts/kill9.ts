// Crash-safety check: append heavily, kill -9 at a random moment, restart, verify. Repeats N cycles.
// usage: bun scripts/kill9.ts [CYCLES=100] [postgres://… to crash a writer on PostgreSQL instead of an SQLite file]
import { Database } from 'bun:sqlite';
import { SQL } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projections } from '../events/projections';
import { verifyProjections } from '../events/projections/verify';
import { openEventLog } from '../src/event-log';

export interface CycleResult {
  readonly acknowledged: number;
  readonly stored: number;
  readonly missing: number;
  readonly duplicated: number;
  readonly gaps: number;
  readonly integrity: string;
  readonly projectionsMatch: boolean;
}

/** One cycle: start a writer on the SQLite file or PostgreSQL URL, let it append for `runMs`, SIGKILL it, then check the log. */
export async function crashCycle(dbPath: string, runMs: number): Promise<CycleResult> {
  const writer = Bun.spawn(['bun', join(import.meta.dir, 'append-writer.ts'), dbPath, 'FULL'], { stdout: 'pipe', stderr: 'inherit' });
  const acked = new Set<string>();
  let started: () => void = () => {};
  const ready = new Promise<void>((r) => (started = r));
  const reader = (async () => {
    let buffer = '';
    for await (const chunk of writer.stdout) {
      buffer += new TextDecoder().decode(chunk);
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('ack ')) acked.add(l.slice(4));
        else if (l === 'started') started();
      }
    }
  })();
  // The clock starts once the writer has opened its log (on PostgreSQL: connected, migrated, caught up).
  await Promise.race([ready, writer.exited]);
  await Bun.sleep(runMs);
  writer.kill('SIGKILL');
  await writer.exited;
  await reader;
  if (/^postgres(ql)?:/.test(dbPath)) return checkPostgres(dbPath, acked);

  const db = new Database(dbPath, { readonly: true });
  try {
    const integrity = (db.query('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    const ids = new Set((db.query('SELECT id FROM events').all() as { id: string }[]).map((r) => r.id));
    const { n, uniq, max } = db.query('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS uniq, MAX(position) AS max FROM events').get() as { n: number; uniq: number; max: number };
    let missing = 0;
    for (const id of acked) if (!ids.has(id)) missing++;
    const verdict = verifyProjections(dbPath, projections);
    return { acknowledged: acked.size, stored: n, missing, duplicated: n - uniq, gaps: (max ?? 0) - n, integrity, projectionsMatch: verdict.ok };
  } finally {
    db.close();
  }
}

/**
 * The PostgreSQL log after a kill: every acknowledged id stored once, positions dense, and a node
 * that catches up from it (a replica built in a file, as a node builds one) holds projections equal
 * to a rebuild. There is no file to check the integrity of: PostgreSQL's own WAL keeps it.
 */
async function checkPostgres(url: string, acked: ReadonlySet<string>): Promise<CycleResult> {
  const sql = new SQL(url, { max: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'voxlog-kill9-replica-'));
  try {
    const ids = new Set((await sql<{ id: string }[]>`SELECT id FROM events`).map((r) => r.id));
    const [c] = await sql<{ n: number; uniq: number; max: number | null }[]>`SELECT COUNT(*)::int AS n, COUNT(DISTINCT id)::int AS uniq, MAX(position)::int AS max FROM events`;
    let missing = 0;
    for (const id of acked) if (!ids.has(id)) missing++;
    const log = await openEventLog({ dataDir: dir, databaseUrl: url, synchronous: 'NORMAL', projections });
    const path = log.path;
    await log.close();
    const verdict = verifyProjections(path, projections);
    return { acknowledged: acked.size, stored: c!.n, missing, duplicated: c!.n - c!.uniq, gaps: (c!.max ?? 0) - c!.n, integrity: 'ok', projectionsMatch: verdict.ok };
  } finally {
    await sql.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const cycles = Number(Bun.argv[2] ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'voxlog-kill9-'));
  const dbPath = Bun.argv[3] ?? join(dir, 'voxlog.sqlite');
  let failures = 0;
  try {
    for (let i = 1; i <= cycles; i++) {
      const r = await crashCycle(dbPath, 300 + Math.floor(Math.random() * 700));
      const ok = r.missing === 0 && r.duplicated === 0 && r.gaps === 0 && r.integrity === 'ok' && r.projectionsMatch;
      if (!ok) failures++;
      console.log(`cycle ${i}/${cycles}: ${ok ? 'ok' : 'FAILED'} acked ${r.acknowledged}, log ${r.stored} events, missing ${r.missing}, duplicated ${r.duplicated}, gaps ${r.gaps}, integrity ${r.integrity}, projections ${r.projectionsMatch ? 'match' : 'DIFFER'}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${cycles - failures} passed, ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}
