import { describe, expect, it } from 'bun:test';
import type { Database } from 'bun:sqlite';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionStream } from '../events/ids';
import { EventStore } from '../events/store';
import { event } from '../events/types';
import { projections } from '../events/projections';
import { ensureProjections } from '../events/projections/runner';
import { migrate, openDatabase } from '../src/db';
import { concat, FRAME_BYTES, loadClip, silence } from './helpers/audio';
import { eventually, finals, ofType, openSocket, startTestServer, type TestServer } from './helpers/server';

const clip = () => loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16;
const health = async (server: TestServer) => {
  const res = await fetch(`${server.url}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; event_log: string } };
};
const sendFrames = (ws: WebSocket, audio: Uint8Array<ArrayBuffer>) => {
  for (let at = 0; at < audio.length; at += FRAME_BYTES) ws.send(audio.subarray(at, at + FRAME_BYTES));
};
/** Caps the file at its size and fills every free page, so the next write that needs a page fails (SQLITE_FULL). */
function fillDatabase(db: Database): void {
  const pages = (db.query('PRAGMA page_count').get() as { page_count: number }).page_count;
  db.exec(`PRAGMA max_page_count = ${pages}`);
  for (let id = 1_000, size = 1 << 20; size >= 16; id++) {
    try {
      db.query('INSERT INTO health_probe (id, at, pad) VALUES (?, ?, zeroblob(?))').run(id, 'filler', size);
    } catch {
      size >>= 1;
    }
  }
}
function freeDatabase(db: Database): void {
  db.exec('PRAGMA max_page_count = 1073741823');
  db.exec("DELETE FROM health_probe WHERE at = 'filler'");
}
const openSessions = async (server: TestServer) => ((await (await fetch(`${server.url}/api/v1/sessions?status=open`)).json()) as { total: number }).total;

describe('a full disk under live sessions (SQLite refusing new pages: SQLITE_FULL)', () => {
  it('tells the client log_write_failed and ends its session, answers /health 503, and on recovery closes what was left open, having lost no final it delivered', async () => {
    const server = await startTestServer();
    const db = server.serverDb;
    try {
      const s = openSocket(server.wsUrl());
      const ready = await s.next('ready');
      sendFrames(s.ws, concat([clip(), silence(2)]));
      await s.next('final');
      // The disk fills: the database may not grow by a page, and filler takes every free page it has.
      fillDatabase(db);
      for (let i = 0; i < 4 && s.ws.readyState === WebSocket.OPEN; i++) {
        sendFrames(s.ws, concat([clip(), silence(2)]));
        await Bun.sleep(300);
      }
      const closed = await s.closed;
      expect(closed.code).toBe(1011);
      expect(ofType(s.messages, 'error').map((e) => e.code)).toContain('log_write_failed');
      const h = await health(server);
      expect(h.status).toBe(503);
      expect(h.body.event_log).toMatch(/full|failed/);

      // Every final the client was sent is in the log, word for word.
      const logged = server.store.readStream(sessionStream(ready.session_id));
      const delivered = finals(s.messages);
      expect(delivered.length).toBeGreaterThan(0);
      for (const f of delivered) expect(logged.some((e) => e.type === 'SegmentFinalized' && e.data.segment === f.segment && e.data.text === (f.raw_text ?? f.text))).toBe(true);

      // Space comes back: health recovers within a few seconds and no session is left open.
      freeDatabase(db);
      await eventually(async () => (await health(server)).status === 200, 10_000);
      await eventually(async () => (await openSessions(server)) === 0, 10_000);
      const after = openSocket(server.wsUrl());
      await after.next('ready');
      sendFrames(after.ws, concat([clip(), silence(2)]));
      after.ws.send(JSON.stringify({ type: 'close' }));
      expect((await after.closed).code).toBe(1000);
      expect(finals(after.messages).length).toBeGreaterThan(0);
    } finally {
      freeDatabase(db);
      await server.dispose();
    }
  }, 30_000);
});

describe('the database file deleted while the server runs', () => {
  it('delivers no final after the file is gone, even before the periodic check notices', async () => {
    const server = await startTestServer();
    try {
      const s = openSocket(server.wsUrl());
      await s.next('ready');
      sendFrames(s.ws, concat([clip(), silence(2)]));
      await s.next('final');
      const before = finals(s.messages).length;
      for (const f of readdirSync(server.dataDir).filter((f) => f.startsWith('voxlog.sqlite'))) rmSync(join(server.dataDir, f));
      sendFrames(s.ws, concat([clip(), silence(2)]));
      const err = await s.next('error', (e) => e.code === 'log_write_failed');
      expect(err.message).toContain('not delivered');
      expect((await s.closed).code).toBe(1011);
      expect(finals(s.messages).length).toBe(before);
    } finally {
      await server.dispose();
    }
  }, 30_000);

  it('is reported by /health as 503 within seconds, and new results are refused with log_write_failed instead of being lost', async () => {
    const server = await startTestServer();
    try {
      expect((await health(server)).status).toBe(200);
      for (const f of readdirSync(server.dataDir).filter((f) => f.startsWith('voxlog.sqlite'))) rmSync(join(server.dataDir, f));
      await eventually(async () => (await health(server)).status === 503, 10_000);
      expect((await health(server)).body.event_log).toContain('deleted');
      const s = openSocket(server.wsUrl());
      await s.opened;
      sendFrames(s.ws, concat([clip(), silence(2)]));
      const err = await s.next('error', (e) => e.code === 'log_write_failed');
      expect(err.message).toContain('not delivered');
      expect((await s.closed).code).toBe(1011);
      expect(finals(s.messages)).toEqual([]);
    } finally {
      await server.dispose();
    }
  }, 30_000);
});

describe('starting after a crash', () => {
  for (const [why, node] of [['by this node', undefined], ['by a node of another name (the host renamed, the data directory moved)', 'old-host']] as const) {
  it(`closes sessions the log shows open with reason server_restart, so none stays open and each can be resumed: served ${why}`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-orphans-'));
    const db = openDatabase(join(dataDir, 'voxlog.sqlite'), 'NORMAL');
    migrate(db);
    ensureProjections(db, projections);
    const store = new EventStore(db, projections);
    // What a server killed mid-session leaves: opened, one final, never closed.
    await store.append(sessionStream('orphan1'), [
      event('SessionOpened', { session_id: 'orphan1', model_id: 'tiny-streaming-lstm-ctc-en', encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null, protocol: 'voxlog', recorded: false }, node ? { node } : {}),
      event('SegmentFinalized', { session_id: 'orphan1', segment: 0, text: 'hello', start_ms: 0, end_ms: 1500, words: [], latency_ms: 5, model_id: 'tiny-streaming-lstm-ctc-en', reason: 'endpoint', formatted: null }),
    ]);
    db.close();
    const server = await startTestServer({ VOXLOG_NODE_ID: 'new-host' }, dataDir);
    try {
      const closing = server.store.readStream(sessionStream('orphan1')).at(-1)!;
      expect(closing).toMatchObject({ type: 'SessionClosed', data: { reason: 'server_restart', audio_ms: 1500, segments: 1 } });
      expect(await openSessions(server)).toBe(0);
      const resumed = openSocket(server.wsUrl({ session_id: 'orphan1' }));
      expect((await resumed.next('ready')).resumed).toBe(true);
      resumed.ws.close();
    } finally {
      await server.dispose();
    }
  });
  }
});
