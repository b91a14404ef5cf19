// Event log figures, each beside its baseline from the same run:
//  - appends/s through EventStore (group commit) vs raw bun:sqlite inserts of the same rows
//  - replay rate rebuilding every projection from a generated log of --events events (default 1M)
// usage: bun bench/eventlog.ts [--events 1000000] [--appends 20000]
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projections } from '../events/projections';
import { ensureProjections } from '../events/projections/runner';
import { verifyProjections } from '../events/projections/verify';
import { EventStore } from '../events/store';
import { event, schemaVersions, type VoxEvent } from '../events/types';
import { migrate, openDatabase } from '../src/db';

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { events: { type: 'string', default: '1000000' }, appends: { type: 'string', default: '20000' } } });
const LOG_EVENTS = Number(values.events);
const APPENDS = Number(values.appends);
const dir = mkdtempSync(join(tmpdir(), 'voxlog-bench-log-'));

const finalEvent = (i: number): VoxEvent =>
  event('SegmentFinalized', { session_id: `s${i % 500}`, segment: i, text: 'the quick brown fox jumps over the lazy dog', start_ms: 0, end_ms: 900, words: [], latency_ms: 12, model_id: 'm', reason: 'endpoint' });

function fresh(name: string) {
  const db = openDatabase(join(dir, `${name}.sqlite`), 'NORMAL');
  migrate(db);
  ensureProjections(db, projections);
  return db;
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const rows: [string, string, string][] = [];

/** Many concurrent appenders (like sessions), one event each: the store groups them per tick. */
async function storeAppends(batch: number): Promise<number> {
  const store = new EventStore(fresh(`store-${batch}`), projections);
  const t0 = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < APPENDS; i += batch) {
    pending.push(store.append(`session-s${i % 500}`, Array.from({ length: batch }, (_, j) => finalEvent(i + j))));
    if (pending.length === 500) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return rate(APPENDS, performance.now() - t0);
}

/** The same rows straight into `events` with one prepared INSERT, with and without a transaction per row. */
function rawInserts(perTransaction: number): number {
  const db = fresh(`raw-${perTransaction}`);
  const insert = db.query('INSERT INTO events (id, stream_id, version, type, schema_version, data, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const versions = new Map<string, number>();
  const now = new Date().toISOString();
  const t0 = performance.now();
  const write = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const e = finalEvent(i);
      const stream = `session-s${i % 500}`;
      const v = (versions.get(stream) ?? 0) + 1;
      versions.set(stream, v);
      insert.run(crypto.randomUUID(), stream, v, e.type, schemaVersions[e.type], JSON.stringify(e.data), '{}', now);
    }
  });
  for (let i = 0; i < APPENDS; i += perTransaction) write(i, Math.min(APPENDS, i + perTransaction));
  return rate(APPENDS, performance.now() - t0);
}

/** A log shaped like real traffic: per session 1 open, 20 partials, 4 finals, 1 close (26 events). */
function generateLog(path: string, n: number): void {
  const db = new Database(path, { create: true, strict: true });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF');
  migrate(db);
  const insert = db.query('INSERT INTO events (id, stream_id, version, type, schema_version, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const write = db.transaction((from: number, to: number) => {
    for (let s = from; s < to; s++) {
      const id = `g${s}`;
      const model = `m${s % 3}`;
      const at = new Date(1_700_000_000_000 + s * 1000).toISOString();
      const events: VoxEvent[] = [event('SessionOpened', { session_id: id, model_id: model, encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null })];
      for (let seg = 0; seg < 4; seg++) {
        for (let p = 0; p < 5; p++) events.push(event('PartialTranscribed', { session_id: id, segment: seg, text: 'partial text', start_ms: seg * 3000, end_ms: seg * 3000 + p * 320, model_id: model }));
        events.push(event('SegmentFinalized', { session_id: id, segment: seg, text: 'final text of a segment', start_ms: seg * 3000, end_ms: seg * 3000 + 2900, words: [], latency_ms: 5 + (s % 50), model_id: model, reason: 'endpoint' }));
      }
      events.push(event('SessionClosed', { session_id: id, reason: 'client_close', audio_ms: 12000, model_id: model, model_audio_ms: 12000, segments: 4, partials: 20, duration_ms: 12100 }));
      events.forEach((e, v) => insert.run(crypto.randomUUID(), `session-${id}`, v + 1, e.type, schemaVersions[e.type], JSON.stringify(e.data), at));
    }
  });
  const sessions = Math.ceil(n / 26);
  for (let s = 0; s < sessions; s += 2000) {
    write(s, Math.min(sessions, s + 2000));
    process.stderr.write(`\rgenerating log: ${Math.min(sessions, s + 2000) * 26} events`);
  }
  process.stderr.write('\n');
  // Build the live projections the way a server start does, so replay has something to compare with.
  ensureProjections(db, projections);
  db.close();
}

try {
  console.log(`event log benchmark, ${APPENDS} appends per figure, SQLite synchronous=NORMAL, WAL`);
  console.log('figure                                        | events/s');
  for (const [label, value] of [
    ['EventStore.append, 1 event per append (group commit)', await storeAppends(1)],
    ['EventStore.append, 10 events per append', await storeAppends(10)],
    ['raw bun:sqlite INSERT, one transaction per row', rawInserts(1)],
    ['raw bun:sqlite INSERT, 1000 rows per transaction', rawInserts(1000)],
  ] as const) {
    console.log(`${label.padEnd(54)}| ${value}`);
  }
  const logPath = join(dir, 'log.sqlite');
  generateLog(logPath, LOG_EVENTS);
  const v = verifyProjections(logPath, projections, (done, total) => process.stderr.write(`\rreplaying: ${done} projected events (log holds ${total})`));
  process.stderr.write('\n');
  console.log(
    `replay of a ${v.total}-event log: ${v.seconds.toFixed(1)} s, ${rate(v.total, v.seconds * 1000)} log events/s (${v.replayed} events reached a projection, ${rate(v.replayed, v.seconds * 1000)}/s); rebuild ${v.ok ? 'equals' : 'DIFFERS FROM'} the live tables`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
