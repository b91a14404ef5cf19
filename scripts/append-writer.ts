// Appends session-shaped events as fast as it can through the real EventStore, printing
// "ack <event id>" only once each append has committed. Used by the kill -9 test and script.
// usage: bun scripts/append-writer.ts DB_FILE|postgres://… [SYNCHRONOUS]
import { dirname } from 'node:path';
import { projections } from '../events/projections';
import { event, type VoxEvent } from '../events/types';
import type { Config } from '../src/config';
import { openEventLog } from '../src/event-log';

const [target, sync = 'FULL'] = Bun.argv.slice(2);
// On PostgreSQL this writer is a node whose replica lives in memory: it dies with the process.
const pg = /^postgres(ql)?:/.test(target!);
const { store } = await openEventLog({
  dataDir: pg ? null : dirname(target!),
  databaseUrl: pg ? target! : null,
  synchronous: sync as Config['sqliteSynchronous'],
  projections,
});
const run = crypto.randomUUID().slice(0, 8);
const out = Bun.stdout.writer();

/** One writer: a session that opens, finalizes segments and closes, over and over. */
async function writer(w: number): Promise<never> {
  for (let n = 0; ; n++) {
    const id = `${run}-${w}-${n}`;
    const stream = `session-${id}`;
    const send = async (events: VoxEvent[], expected?: 'no_stream') => {
      const withIds = events.map((e) => ({ ...e, id: crypto.randomUUID() }) as VoxEvent);
      await store.append(stream, withIds, { expectedVersion: expected });
      for (const e of withIds) out.write(`ack ${e.id}\n`);
      out.flush();
    };
    await send([event('SessionOpened', { session_id: id, model_id: `m${w % 3}`, encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null, protocol: 'voxlog', recorded: false })], 'no_stream');
    for (let seg = 0; seg < 4; seg++) {
      await send([
        event('PartialTranscribed', { session_id: id, segment: seg, text: 'par', start_ms: seg * 1000, end_ms: seg * 1000 + 500, model_id: `m${w % 3}` }),
        event('SegmentFinalized', { session_id: id, segment: seg, text: `final ${seg}`, start_ms: seg * 1000, end_ms: seg * 1000 + 900, words: [], latency_ms: seg, model_id: `m${w % 3}`, reason: 'endpoint', formatted: null }),
      ]);
    }
    await send([event('SessionClosed', { session_id: id, reason: 'client_close', audio_ms: 4000, model_id: `m${w % 3}`, model_audio_ms: 4000, segments: 4, partials: 4, duration_ms: 4100 })]);
  }
}

out.write('started\n');
out.flush();
await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
