import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SQL } from 'bun';
import { openPgLog } from '../events/pg-log';
import { historyProjection } from '../events/projections/history';
import { projections } from '../events/projections';
import { event, type RecordedEvent, type VoxEvent } from '../events/types';
import { ConcurrencyError } from '../src/errors';
import { freshDatabase } from '../scripts/postgres';
import { STORE_KINDS, type LogUnderTest, type Node } from './helpers/stores';

const postgres = STORE_KINDS.find((k) => k.name === 'postgres')!;
const opened = (id: string) => event('SessionOpened', { session_id: id, model_id: 'm', encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null, protocol: 'voxlog', recorded: false });
const finalized = (id: string, segment: number) =>
  event('SegmentFinalized', { session_id: id, segment, text: `t${segment}`, start_ms: 0, end_ms: 100, words: [], latency_ms: 5, model_id: 'm', reason: 'endpoint', formatted: null });

/** Resolves once `node`'s replica holds position `n`. */
const reaches = async (node: Node, n: number) => {
  for (let i = 0; i < 500 && node.store.lastPosition() < n; i++) await Bun.sleep(10);
  return node.store.lastPosition();
};

describe('several nodes on one PostgreSQL log', () => {
  let log: LogUnderTest;
  let nodes: Node[];
  beforeAll(async () => {
    log = await postgres.fresh();
    nodes = [await log.node([historyProjection]), await log.node([historyProjection]), await log.node([historyProjection])];
  });
  afterAll(() => log.close());

  it('lets exactly one of two nodes win an append at the same expected version', async () => {
    const [a, b] = nodes as [Node, Node];
    await a.store.append('race', [opened('race')]);
    await reaches(b, 1);
    const results = await Promise.allSettled([a.store.append('race', [finalized('race', 0)], { expectedVersion: 1 }), b.store.append('race', [finalized('race', 1)], { expectedVersion: 1 })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyError)).toHaveLength(1);
    const last = Math.max(a.store.lastPosition(), b.store.lastPosition());
    await reaches(a, last);
    await reaches(b, last);
    expect(a.store.readStream('race').map((e) => e.id)).toEqual(b.store.readStream('race').map((e) => e.id));
  });

  it('treats an event id another node stored as a retry, not a new event', async () => {
    const [a, b] = nodes as [Node, Node];
    const e = { ...opened('dup'), id: 'dup-event' } as VoxEvent;
    const first = await a.store.append('dup', [e]);
    const again = await b.store.append('dup', [e], { expectedVersion: 'no_stream' });
    expect(again.lastPosition).toBe(first.lastPosition);
    expect(b.store.readStream('dup')).toHaveLength(1);
  });

  it('commits positions in order: concurrent writers on three nodes, readers never find one below what they saw', async () => {
    const start = Math.max(...nodes.map((n) => n.store.lastPosition()));
    // Two readers: node 3's subscription, and a raw poll of PostgreSQL racing the writers.
    const heard: number[] = [];
    const stop = nodes[2]!.store.subscribe((e: RecordedEvent) => heard.push(e.position));
    const shared = await openPgLog(log.url);
    const polled: number[] = [];
    let writing = true;
    const poller = (async () => {
      while (writing || polled.at(-1)! < start + 600) {
        const rows = await shared.readAfter(polled.at(-1) ?? start, 50);
        polled.push(...rows.map((r) => r.position));
      }
    })();
    await Promise.all(
      nodes.map((n, w) =>
        (async () => {
          for (let i = 0; i < 100; i++) await Promise.all([n.store.append(`w${w}-${i}`, [opened(`w${w}-${i}`)]), n.store.append(`x${w}-${i}`, [opened(`x${w}-${i}`)])]);
        })(),
      ),
    );
    writing = false;
    await poller;
    await shared.close();
    await reaches(nodes[2]!, start + 600);
    stop();
    const dense = Array.from({ length: 600 }, (_, i) => start + 1 + i);
    expect(polled).toEqual(dense);
    expect(heard).toEqual(dense);
    for (const n of nodes) expect(await reaches(n, start + 600)).toBe(start + 600);
  });
});

describe('a PostgreSQL log read by a node', () => {
  it('upcasts an event stored under an older schema, like SQLite does, and a running node finds a row that came without a notification', async () => {
    const url = await freshDatabase();
    const sql = new SQL(url, { max: 1 });
    const log = await postgres.fresh(url);
    try {
      const early = await log.node(projections);
      const data = JSON.stringify({ session_id: 'old', model_id: 'm', encoding: 'pcm16', sample_rate: 16000, user_id: null });
      await sql`INSERT INTO events (position, id, stream_id, version, type, schema_version, data, created_at) VALUES (1, 'e1', 'session-old', 1, 'SessionOpened', 1, ${data}, '2026-01-01T00:00:00Z')`;
      const late = await log.node(projections);
      expect(late.store.readStream('session-old')[0]).toMatchObject({ type: 'SessionOpened', schemaVersion: 4, data: { session_id: 'old', language: null, protocol: 'voxlog', recorded: false } });
      expect(late.db.query('SELECT id FROM sessions').values().flat()).toEqual(['old']);
      // The hand-made row sent no NOTIFY: the node already running finds it by its poll (once a second).
      expect(await reaches(early, 1)).toBe(1);
      expect(early.store.readStream('session-old')[0]).toMatchObject({ data: { language: null } });
    } finally {
      await sql.close();
      await log.close();
    }
  });
});
