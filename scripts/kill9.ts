// Crash-safety check: append heavily, kill -9 at a random moment, restart, verify. Repeats N cycles.
// usage: bun scripts/kill9.ts [CYCLES=100] [--db FILE]
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projections } from '../events/projections';
import { verifyProjections } from '../events/projections/verify';

export interface CycleResult {
  readonly acknowledged: number;
  readonly stored: number;
  readonly missing: number;
  readonly duplicated: number;
  readonly gaps: number;
  readonly integrity: string;
  readonly projectionsMatch: boolean;
}

/** One cycle: start a writer, let it run `runMs`, SIGKILL it, then check the file. */
export async function crashCycle(dbPath: string, runMs: number): Promise<CycleResult> {
  const writer = Bun.spawn(['bun', join(import.meta.dir, 'append-writer.ts'), dbPath, 'FULL'], { stdout: 'pipe', stderr: 'inherit' });
  const acked = new Set<string>();
  const reader = (async () => {
    let buffer = '';
    for await (const chunk of writer.stdout) {
      buffer += new TextDecoder().decode(chunk);
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) acked.add(l.slice(4));
    }
  })();
  await Bun.sleep(runMs);
  writer.kill('SIGKILL');
  await writer.exited;
  await reader;

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

if (import.meta.main) {
  const cycles = Number(Bun.argv[2] ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'voxlog-kill9-'));
  const dbPath = join(dir, 'voxlog.sqlite');
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
