import { afterEach, describe, expect, it } from 'bun:test';
import { ConcurrencyError, ProjectionError, ValidationError } from '../src/errors';
import type { Projection } from '../events/projection';
import { historyProjection } from '../events/projections/history';
import { event, type VoxEvent } from '../events/types';
import { STORE_KINDS, type LogUnderTest } from './helpers/stores';


const opened = (id: string) => event('SessionOpened', { session_id: id, model_id: 'm', encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null, protocol: 'voxlog', recorded: false });
const finalized = (id: string, segment: number, text: string) =>
  event('SegmentFinalized', { session_id: id, segment, text, start_ms: 0, end_ms: 100, words: [], latency_ms: 5, model_id: 'm', reason: 'endpoint', formatted: null });

for (const kind of STORE_KINDS) {
  describe(`the event store on ${kind.name}`, () => {
    let log: LogUnderTest | undefined;
    const fresh = async (projections: Projection[] = [historyProjection]) => {
      log = await kind.fresh();
      return log.node(projections, () => new Date('2026-11-21T10:00:00Z'));
    };
    afterEach(async () => {
      await log?.close();
      log = undefined;
    });

  describe('appending to the event store', () => {
    it('gives each event the next stream version and a gap-free global position', async () => {
      const { store } = await fresh();
      await store.append('session-a', [opened('a')]);
      await store.append('session-b', [opened('b')]);
      const r = await store.append('session-a', [finalized('a', 0, 'hello'), finalized('a', 1, 'world')]);
      expect(r.nextVersion).toBe(3);
      expect(store.readStream('session-a').map((e) => [e.version, e.type])).toEqual([
        [1, 'SessionOpened'],
        [2, 'SegmentFinalized'],
        [3, 'SegmentFinalized'],
      ]);
      expect(store.readAll().map((e) => e.position)).toEqual([1, 2, 3, 4]);
      expect(store.readStream('session-a', { from: 2, to: 2 }).map((e) => e.version)).toEqual([2]);
    });

    it('enforces no_stream, stream_exists and exact expected versions', async () => {
      const { store } = await fresh();
      await expect(store.append('s', [opened('s')], { expectedVersion: 'stream_exists' })).rejects.toBeInstanceOf(ConcurrencyError);
      await store.append('s', [opened('s')], { expectedVersion: 'no_stream' });
      await expect(store.append('s', [opened('s')], { expectedVersion: 'no_stream' })).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append('s', [finalized('s', 0, 'x')], { expectedVersion: 2 })).rejects.toBeInstanceOf(ConcurrencyError);
      await store.append('s', [finalized('s', 0, 'x')], { expectedVersion: 1 });
      await store.append('s', [finalized('s', 1, 'y')], { expectedVersion: 'stream_exists' });
      expect(store.readStream('s').length).toBe(3);
    });

    it('lets exactly one of many same-tick appends with the same expected version win, without failing the others in its batch', async () => {
      const { store } = await fresh();
      await store.append('s', [opened('s')]);
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.append('s', [finalized('s', i, `t${i}`)], { expectedVersion: 1 })));
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
      expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyError).length).toBe(49);
      const other = await store.append('t', [opened('t')]);
      expect(other.lastPosition).toBe(3);
    });

    it('treats a retried event id as a no-op that reports the stored position', async () => {
      const { store } = await fresh();
      const e = { ...opened('s'), id: 'fixed-id' } as VoxEvent;
      const first = await store.append('s', [e]);
      const again = await store.append('s', [e], { expectedVersion: 'no_stream' });
      expect(again.lastPosition).toBe(first.lastPosition);
      expect(store.readAll().length).toBe(1);
    });

    it('rejects data that does not match its event schema', async () => {
      const { store } = await fresh();
      const bad = { type: 'SegmentFinalized', data: { session_id: 's', text: 42 } } as unknown as VoxEvent;
      await expect(store.append('s', [bad])).rejects.toBeInstanceOf(ValidationError);
      expect(store.readAll().length).toBe(0);
    });

    it('rolls back an append whose projection throws, and keeps serving others', async () => {
      const exploding: Projection = {
        name: 'exploding',
        version: 1,
        canHandle: ['SegmentFinalized'],
        tables: [],
        init: '',
        evolve: (e) => {
          if (e.type === 'SegmentFinalized' && e.data.text === 'boom') throw new Error('kaboom');
          return [];
        },
      };
      const { store, db } = await fresh([historyProjection, exploding]);
      const bad = store.append('s', [finalized('s', 0, 'boom')]);
      const good = store.append('t', [finalized('t', 0, 'fine')]);
      await expect(bad).rejects.toBeInstanceOf(ProjectionError);
      await good;
      expect(store.readAll().map((e) => e.streamId)).toEqual(['t']);
      expect(db.query('SELECT content FROM history').all()).toEqual([{ content: 'fine' }]);
    });

    it('tells subscribers about each committed event in order', async () => {
      const { store } = await fresh();
      const seen: number[] = [];
      const stop = store.subscribe((e) => seen.push(e.position));
      await Promise.all([store.append('a', [opened('a')]), store.append('b', [opened('b'), finalized('b', 0, 'x')])]);
      stop();
      await store.append('c', [opened('c')]);
      expect(seen).toEqual([1, 2, 3]);
    });
  });

  describe('the history projection', () => {
    it('changes nothing when every event is delivered twice', async () => {
      const { store, db } = await fresh();
      await store.append('session-a', [opened('a'), finalized('a', 0, 'one'), finalized('a', 1, 'two')]);
      const snapshot = () => db.query('SELECT * FROM history ORDER BY id').all();
      const before = snapshot();
      expect(before.length).toBe(2);
      for (const e of store.readAll()) for (const s of historyProjection.evolve(e)) db.query(s.sql).run(s.params);
      expect(snapshot()).toEqual(before);
    });
  });

  describe('creating a stream concurrently', () => {
    it('lets exactly one of 20 racing no_stream appends create it, and stream_exists appends only follow it', async () => {
      const { store } = await fresh();
      const early = store.append('race', [finalized('race', 0, 'too early')], { expectedVersion: 'stream_exists' });
      const creates = Array.from({ length: 20 }, (_, i) => store.append('race', [opened(`race-${i}`)], { expectedVersion: 'no_stream' }));
      const late = store.append('race', [finalized('race', 0, 'after')], { expectedVersion: 'stream_exists' });
      const results = await Promise.allSettled([early, ...creates, late]);
      expect(results[0]!.status).toBe('rejected');
      expect(results.slice(1, 21).filter((r) => r.status === 'fulfilled').length).toBe(1);
      expect(results[21]!.status).toBe('fulfilled');
      expect(store.readStream('race').map((e) => e.type)).toEqual(['SessionOpened', 'SegmentFinalized']);
    });
  });
  });
}
