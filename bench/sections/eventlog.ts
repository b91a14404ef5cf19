import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projections } from '../../events/projections';
import { ensureProjections } from '../../events/projections/runner';
import { verifyProjections } from '../../events/projections/verify';
import { EventStore } from '../../events/store';
import { event, schemaVersions, type VoxEvent } from '../../events/types';
import { migrate, openDatabase } from '../../src/db';
import { concurrency } from './concurrency';

export interface EventLogResult {
  readonly appends: number;
  readonly store_single_per_s: number;
  readonly store_batch10_per_s: number;
  readonly raw_row_per_tx_per_s: number;
  readonly raw_1000_per_tx_per_s: number;
  readonly store_no_projections_per_s: number;
  readonly replay: { log_events: number; seconds: number; log_events_per_s: number; projected_events: number; projected_per_s: number; rebuild_equals_live: boolean };
  readonly partial_lag_p95_ms: { clients: number; log_on: number; log_off: number };
}

const finalEvent = (i: number): VoxEvent =>
  event('SegmentFinalized', { session_id: `s${i % 500}`, segment: i, text: 'the quick brown fox jumps over the lazy dog', start_ms: 0, end_ms: 900, words: [], latency_ms: 12, model_id: 'm', reason: 'endpoint', formatted: null });
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

export async function eventLog(opts: { appends: number; logEvents: number; lagClients: number; lagSeconds: number; clips: Uint8Array[] }): Promise<EventLogResult> {
  const dir = mkdtempSync(join(tmpdir(), 'voxlog-bench-log-'));
  let n = 0;
  const fresh = () => {
    const db = openDatabase(join(dir, `db${n++}.sqlite`), 'NORMAL');
    migrate(db);
    ensureProjections(db, projections);
    return db;
  };
  /** Many concurrent appenders (like sessions), `batch` events each: the store groups them per tick. */
  const storeAppends = async (batch: number, withProjections = true) => {
    const store = new EventStore(fresh(), withProjections ? projections : []);
    const t0 = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < opts.appends; i += batch) {
      pending.push(store.append(`session-s${i % 500}`, Array.from({ length: batch }, (_, j) => finalEvent(i + j))));
      if (pending.length === 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    return rate(opts.appends, performance.now() - t0);
  };
  /** The same rows straight into `events` with one prepared INSERT. */
  const rawInserts = (perTx: number) => {
    const db = fresh();
    const insert = db.query('INSERT INTO events (id, stream_id, version, type, schema_version, data, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const versions = new Map<string, number>();
    const now = new Date().toISOString();
    const write = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const e = finalEvent(i);
        const stream = `session-s${i % 500}`;
        const v = (versions.get(stream) ?? 0) + 1;
        versions.set(stream, v);
        insert.run(crypto.randomUUID(), stream, v, e.type, schemaVersions[e.type], JSON.stringify(e.data), '{}', now);
      }
    });
    const t0 = performance.now();
    for (let i = 0; i < opts.appends; i += perTx) write(i, Math.min(opts.appends, i + perTx));
    return rate(opts.appends, performance.now() - t0);
  };
  try {
    const figures = {
      store_single_per_s: await storeAppends(1),
      store_batch10_per_s: await storeAppends(10),
      store_no_projections_per_s: await storeAppends(1, false),
      raw_row_per_tx_per_s: rawInserts(1),
      raw_1000_per_tx_per_s: rawInserts(1000),
    };
    const logPath = join(dir, 'log.sqlite');
    generateLog(logPath, opts.logEvents);
    const v = verifyProjections(logPath, projections);
    const lag = async (on: boolean) =>
      (await concurrency(opts.clips, [opts.lagClients], opts.lagSeconds, { VOXLOG_EVENT_LOG: on ? 'on' : 'off' })).levels[0]!.partial_lag_ms.p95;
    return {
      appends: opts.appends,
      ...figures,
      replay: {
        log_events: v.total,
        seconds: v.seconds,
        log_events_per_s: rate(v.total, v.seconds * 1000),
        projected_events: v.replayed,
        projected_per_s: rate(v.replayed, v.seconds * 1000),
        rebuild_equals_live: v.ok,
      },
      partial_lag_p95_ms: { clients: opts.lagClients, log_on: await lag(true), log_off: await lag(false) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A log shaped like real traffic: per session 1 open, 20 partials, 4 finals, 1 close (26 events). */
export function generateLog(path: string, n: number): void {
  const db = new Database(path, { create: true, strict: true });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF');
  migrate(db);
  const insert = db.query('INSERT INTO events (id, stream_id, version, type, schema_version, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const write = db.transaction((from: number, to: number) => {
    for (let s = from; s < to; s++) {
      const id = `g${s}`;
      const model = `m${s % 3}`;
      const at = new Date(1_700_000_000_000 + s * 1000).toISOString();
      const events: VoxEvent[] = [event('SessionOpened', { session_id: id, model_id: model, encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null, protocol: 'voxlog', recorded: false })];
      for (let seg = 0; seg < 4; seg++) {
        for (let p = 0; p < 5; p++) events.push(event('PartialTranscribed', { session_id: id, segment: seg, text: 'partial text', start_ms: seg * 3000, end_ms: seg * 3000 + p * 320, model_id: model }));
        events.push(event('SegmentFinalized', { session_id: id, segment: seg, text: 'final text of a segment', start_ms: seg * 3000, end_ms: seg * 3000 + 2900, words: [], latency_ms: 5 + (s % 50), model_id: model, reason: 'endpoint', formatted: null }));
      }
      events.push(event('SessionClosed', { session_id: id, reason: 'client_close', audio_ms: 12000, model_id: model, model_audio_ms: 12000, segments: 4, partials: 20, duration_ms: 12100 }));
      events.forEach((e, v) => insert.run(crypto.randomUUID(), `session-${id}`, v + 1, e.type, schemaVersions[e.type], JSON.stringify(e.data), at));
    }
  });
  const sessions = Math.ceil(n / 26);
  for (let s = 0; s < sessions; s += 2000) write(s, Math.min(sessions, s + 2000));
  ensureProjections(db, projections);
  db.close();
}
