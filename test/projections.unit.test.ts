import { describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { projections } from '../events/projections';
import { applyEvent, ensureProjections } from '../events/projections/runner';
import { EventStore } from '../events/store';
import { event } from '../events/types';
import { migrate } from '../src/db';

function seeded() {
  const db = new Database(':memory:', { strict: true });
  migrate(db);
  ensureProjections(db, projections);
  const store = new EventStore(db, projections);
  return { db, store };
}

async function appendSessions(store: EventStore, n: number) {
  for (let i = 0; i < n; i++) {
    const id = `s${i}`;
    const model = i % 2 ? 'a' : 'b';
    await store.append(`session-${id}`, [event('SessionOpened', { session_id: id, model_id: model, encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null })]);
    for (let seg = 0; seg < 3; seg++) {
      await store.append(`session-${id}`, [
        event('SegmentFinalized', { session_id: id, segment: seg, text: `t${i}.${seg}`, start_ms: seg * 1000, end_ms: seg * 1000 + 900, words: [], latency_ms: 10 * seg + i, model_id: model, reason: 'endpoint' }),
      ]);
    }
    await store.append(`session-${id}`, [event('SessionClosed', { session_id: id, reason: 'client_close', audio_ms: 3000, model_id: model, model_audio_ms: 3000, segments: 3, partials: 0, duration_ms: 3100 })]);
  }
}

async function appendUsers(store: EventStore) {
  const meta = (id: string) => ({ user_id: id });
  await store.append('user-u1', [event('UserCreated', { user_id: 'u1', name: 'ann', role: 'user', password_hash: 'h1' }, meta('u1'))]);
  await store.append('user-u2', [event('UserCreated', { user_id: 'u2', name: 'ben', role: 'user', password_hash: 'h2' }, meta('u2'))]);
  await store.append('user-u1', [event('UserRoleChanged', { user_id: 'u1', role: 'admin' }, meta('u1')), event('UserDisabled', { user_id: 'u2', disabled: true }, meta('u2'))]);
  await store.append('user-u1', [event('ApiKeyCreated', { key_id: 'k1', user_id: 'u1', name: 'bridge', key_hash: 'x', scopes: ['all'] }, meta('u1'))]);
  await store.append('user-u1', [event('ApiKeyUsed', { key_id: 'k1', user_id: 'u1' }, meta('u1')), event('ApiKeyRevoked', { key_id: 'k1', user_id: 'u1' }, meta('u1'))]);
}

const dump = (db: Database) =>
  Object.fromEntries(projections.flatMap((p) => p.tables).map((t) => [t, db.query(`SELECT * FROM ${t} ORDER BY 1`).all()]));

describe('projections', () => {
  for (const p of projections) {
    it(`${p.name} changes nothing when every event is delivered twice`, async () => {
      const { db, store } = seeded();
      await appendSessions(store, 4);
      await appendUsers(store);
      const before = dump(db);
      expect(before[p.tables[0]!]!.length).toBeGreaterThan(0);
      for (const e of store.readAll(0, 1e6)) applyEvent(db, p, e);
      expect(dump(db)).toEqual(before);
    });
  }

  it('counts per model in transcription_stats', async () => {
    const { db, store } = seeded();
    await appendSessions(store, 4);
    expect(db.query('SELECT model_id, sessions, finals, audio_ms FROM transcription_stats ORDER BY model_id').all()).toEqual([
      { model_id: 'a', sessions: 2, finals: 6, audio_ms: 6000 },
      { model_id: 'b', sessions: 2, finals: 6, audio_ms: 6000 },
    ]);
  });

  it('rebuilds a projection from the log when its version changes, equal to the live tables', async () => {
    const { db, store } = seeded();
    await appendSessions(store, 5);
    await appendUsers(store);
    const live = dump(db);
    db.exec('DELETE FROM segments; DELETE FROM sessions; DELETE FROM transcription_stats; DELETE FROM api_keys; DELETE FROM users');
    const bumped = projections.map((p) => (p.name === 'history' ? p : { ...p, version: p.version + 1 }));
    expect(ensureProjections(db, bumped)).toEqual(['sessions', 'transcription_stats', 'users']);
    expect(dump(db)).toEqual(live);
    expect(ensureProjections(db, bumped)).toEqual([]);
  });
});

describe('reading events stored under an older schema', () => {
  it('upcasts SessionOpened v1 (no language) to the current shape', () => {
    const { db, store } = seeded();
    db.query(`INSERT INTO events (id, stream_id, version, type, schema_version, data, created_at) VALUES ('e1', 'session-old', 1, 'SessionOpened', 1, ?, '2026-01-01T00:00:00Z')`).run(
      JSON.stringify({ session_id: 'old', model_id: 'm', encoding: 'pcm16', sample_rate: 16000, user_id: null }),
    );
    const [e] = store.readStream('session-old');
    expect(e).toMatchObject({ type: 'SessionOpened', schemaVersion: 2, data: { session_id: 'old', language: null } });
  });
});
