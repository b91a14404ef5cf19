import { afterAll, describe, expect, it } from 'bun:test';
import { SQL } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projections } from '../events/projections';
import { ensureProjections } from '../events/projections/runner';
import { EventStore } from '../events/store';
import { event } from '../events/types';
import { migrate, openDatabase } from '../src/db';
import { startNode } from './helpers/node-process';
import { freshDatabase } from '../scripts/postgres';

const root = join(import.meta.dir, '..');
const logCli = (...args: string[]) => {
  const r = Bun.spawnSync(['bun', 'src/cli/log.ts', ...args], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
};

describe('bun run log copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voxlog-copy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('moves an SQLite log into PostgreSQL with positions, ids and versions kept, verified by a rebuild; a node then serves it', async () => {
    const file = join(dir, 'voxlog.sqlite');
    const db = openDatabase(file, 'NORMAL');
    migrate(db);
    ensureProjections(db, projections);
    const store = new EventStore(db, projections);
    for (let i = 0; i < 300; i++) {
      const id = `s${i}`;
      await store.append(`session-${id}`, [
        event('SessionOpened', { session_id: id, model_id: 'm', encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null, protocol: 'voxlog', recorded: false }),
        event('SegmentFinalized', { session_id: id, segment: 0, text: `words ${i}`, start_ms: 0, end_ms: 900, words: [], latency_ms: 3, model_id: 'm', reason: 'endpoint', formatted: null }),
        event('SessionClosed', { session_id: id, reason: 'client_close', audio_ms: 1000, model_id: 'm', model_audio_ms: 1000, segments: 1, partials: 0, duration_ms: 1100 }),
      ]);
    }
    const source = db.query('SELECT position, id, stream_id, version, created_at FROM events ORDER BY position').all();
    db.close();

    const url = await freshDatabase();
    const copied = logCli('copy', '--from', `sqlite:${file}`, '--to', url);
    expect(copied.out).toContain('900 events copied');
    expect(copied.out).toContain('same    events (900 rows)');
    expect(copied.out).toContain('same    sessions (300 rows)');
    expect(copied.code).toBe(0);
    const sql = new SQL(url, { max: 1 });
    const rows = await sql`SELECT position::int AS position, id, stream_id, version, created_at FROM events ORDER BY position`;
    await sql.close();
    expect([...rows]).toEqual(source);

    // A second copy into the same database is refused: it would duplicate the log.
    const again = logCli('copy', '--from', `sqlite:${file}`, '--to', url);
    expect(again.code).toBe(1);
    expect(again.out).toContain('already holds 900 events');

    const node = await startNode('copied', url, join(dir, 'files'));
    try {
      const sessions = (await (await fetch(`${node.url}/api/v1/sessions?status=closed`)).json()) as { total: number };
      expect(sessions.total).toBe(300);
    } finally {
      await node.stop();
    }
  });

  it('refuses bad arguments with the usage (exit 2)', () => {
    expect(logCli('copy', '--from', join(dir, 'nothing.sqlite'), '--to', 'postgres://x/y').code).toBe(2);
    expect(logCli('copy', '--from', `sqlite:${join(dir, 'missing.sqlite')}`, '--to', 'postgres://x/y')).toMatchObject({ code: 2, out: expect.stringContaining('no SQLite log') });
    expect(logCli('copy', '--from', `sqlite:${join(dir, 'missing.sqlite')}`, '--to', 'mysql://x/y').code).toBe(2);
    expect(logCli('move').code).toBe(2);
  });
});
