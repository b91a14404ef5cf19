// One node appending: COUNT single-event appends to TARGET (an SQLite file or a postgres:// URL),
// at most 500 in flight, through the real EventStore with every projection. Prints the milliseconds
// the appends took (the log is opened first, outside the clock) as JSON.
// usage: bun bench/lib/appender.ts TARGET COUNT REPLICA_DIR
import { projections } from '../../events/projections';
import { event } from '../../events/types';
import { openEventLog } from '../../src/event-log';

const [target, count, replicaDir] = Bun.argv.slice(2) as [string, string, string];
const pg = /^postgres(ql)?:/.test(target);
const log = await openEventLog({ dataDir: replicaDir, databaseUrl: pg ? target : null, synchronous: 'NORMAL', projections });
const node = crypto.randomUUID().slice(0, 6);
const n = Number(count);
const t0 = performance.now();
const pending: Promise<unknown>[] = [];
for (let i = 0; i < n; i++) {
  const session = `${node}-${i % 500}`;
  pending.push(
    log.store.append(`session-${session}`, [
      event('SegmentFinalized', { session_id: session, segment: i, text: 'the quick brown fox jumps over the lazy dog', start_ms: 0, end_ms: 900, words: [], latency_ms: 12, model_id: 'm', reason: 'endpoint', formatted: null }),
    ]),
  );
  if (pending.length === 500) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
console.log(JSON.stringify({ ms: performance.now() - t0 }));
await log.close();
