import { afterEach, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { projections } from '../events/projections';
import { applyEvent, ensureProjections } from '../events/projections/runner';
import { EventStore } from '../events/store';
import { event } from '../events/types';
import { migrate } from '../src/db';
import { STORE_KINDS, type LogUnderTest } from './helpers/stores';

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
    await store.append(`session-${id}`, [event('SessionOpened', { session_id: id, model_id: model, encoding: 'pcm16', sample_rate: 16000, user_id: null, language: null, protocol: 'voxlog', recorded: false })]);
    for (let seg = 0; seg < 3; seg++) {
      await store.append(`session-${id}`, [
        event('SegmentFinalized', { session_id: id, segment: seg, text: `t${i}.${seg}`, start_ms: seg * 1000, end_ms: seg * 1000 + 900, words: [], latency_ms: 10 * seg + i, model_id: model, reason: 'endpoint', formatted: null }),
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

/** Items with tags and audio (one file shared, one failed then retried, one removed), attempts, tags, a deletion. */
async function appendDictation(store: EventStore) {
  const item = (id: string, tags: string[]) =>
    event('ItemCreated', { item_id: id, user_id: 'u1', locale: 'en-US', text: `text ${id}`, difficulty: 2, difficulty_inferred: true, tags }, { user_id: 'u1' });
  const tts = (id: string, hash: string) => event('TtsRequested', { item_id: id, audio_hash: hash, text: 'x', locale: 'en-US', voice: 'flite:slt', speed: 1 });
  await store.append('item-i1', [item('i1', ['a', 'b']), tts('i1', 'h1')]);
  await store.append('item-i2', [item('i2', ['b']), tts('i2', 'h1')]);
  await store.append('item-i3', [item('i3', []), tts('i3', 'h2')]);
  const done = (hash: string) => event('TtsCompleted', { audio_hash: hash, file_sha256: 's', bytes: 10, duration_ms: 900, sample_rate: 16000, provider: 'flite', voice: 'flite:slt', synthesis_ms: 5 });
  await store.append('tts-h1', [done('h1')]);
  await store.append('tts-h2', [event('TtsFailed', { audio_hash: 'h2', reason: 'busy', attempt: 1, retrying: true })]);
  await store.append('tts-h2', [done('h2')]);
  await store.append('item-i1', [event('ItemUpdated', { item_id: 'i1', difficulty: 4 }), event('ItemUpdated', { item_id: 'i1', tags: ['a', 'c'] })]);
  await store.append('tags-u1', [event('TagCreated', { user_id: 'u1', name: 'd' }), event('TagDeleted', { user_id: 'u1', name: 'b' })]);
  const scored = (id: string, itemId: string, wer: number) =>
    event('AttemptScored', {
      attempt_id: id, item_id: itemId, user_id: 'u1', kind: 'typed', locale: 'en-US', reference: 'text', text: 'text', model_id: null, audio_ms: null,
      session_id: null, listen_ms: 900, fold_accents: false, wer, cer: wer / 2, accuracy: Math.max(0, 1 - wer), reference_words: 2,
      substitutions: 0, deletions: 0, insertions: 0, words: [{ mark: 'correct', ref: 'text', hyp: 'text' }],
    });
  await store.append('attempt-a1', [scored('a1', 'i1', 0.5)]);
  await store.append('attempt-a2', [scored('a2', 'i3', 0)]);
  await store.append('item-i3', [event('ItemDeleted', { item_id: 'i3' })]);
  await store.append('tts-h2', [event('TtsAudioRemoved', { audio_hash: 'h2' })]);
  await store.append('item-i2', [tts('i2', 'h2')]);
}

/** Jobs: one completed after a passing failure, one dead-lettered, one restarted, one deleted while running, one expired. */
async function appendJobs(store: EventStore) {
  const submitted = (id: string, priority: 'high' | 'normal' | 'low') =>
    event('JobSubmitted', {
      job_id: id, user_id: 'u1', name: `${id}.wav`, file_name: `${id}.wav`, size_bytes: 1000, upload: `jobs/${id}/upload.wav`, model_id: 'm', language: null,
      priority, source: 'api', audio: 'WAV 16-bit PCM, mono, 16000 Hz', duration_ms: 4000, format: null,
    }, { user_id: 'u1' });
  const started = (id: string, attempt: number) => event('JobStarted', { job_id: id, attempt, model_id: 'm' });
  const segments = [{ text: 'hello there', start_ms: 0, end_ms: 1500, words: [{ word: 'hello', start_ms: 0, end_ms: 600 }, { word: 'there', start_ms: 600, end_ms: 1500 }] }, { text: 'bye', start_ms: 2000, end_ms: 2600, words: [] }];
  // j1 was written as text (format on); the others kept the recogniser's words.
  const written = { text: 'Hello there. Bye.', segments: [{ text: 'Hello there.', words: [{ word: 'Hello', start_ms: 0, end_ms: 600, from: 0, to: 1 }, { word: 'there.', start_ms: 600, end_ms: 1500, from: 1, to: 2 }] }, { text: 'Bye.', words: [{ word: 'Bye.', start_ms: 2000, end_ms: 2600, from: 0, to: 1 }] }] };
  const completed = (id: string, attempt: number) => event('JobCompleted', { job_id: id, attempt, model_id: 'm', text: 'hello there bye', segments, audio_ms: 4000, chunks: 2, processing_ms: 200, formatted: id === 'j1' ? written : null });
  const transient = (id: string) => event('JobRetried', { job_id: id, cause: 'transient', message: 'engine crashed', delay_ms: 1000 });
  const claimed = (id: string, node: string, renewal = false) => event('JobClaimed', { job_id: id, node, lease_ms: 30_000, renewal });
  await store.append('job-j1', [submitted('j1', 'normal'), claimed('j1', 'n1'), started('j1', 1), claimed('j1', 'n1', true), transient('j1'), started('j1', 2)]);
  await store.append('job-j1', [event('JobProgressed', { job_id: 'j1', attempt: 2, progress: 0.5, processed_ms: 2000, chunks_done: 1, chunks_found: 2, chunking_done: true }), completed('j1', 2)]);
  await store.append('job-j2', [submitted('j2', 'high'), started('j2', 1), transient('j2'), started('j2', 2)]);
  await store.append('job-j2', [event('JobFailed', { job_id: 'j2', attempt: 2, code: 'engine_failed', message: 'crashed twice', permanent: false, dead_letter: true })]);
  await store.append('job-j3', [submitted('j3', 'low'), started('j3', 1), completed('j3', 1), event('JobRetried', { job_id: 'j3', cause: 'requested', message: 'restarted on request', delay_ms: 0 })]);
  await store.append('job-j4', [submitted('j4', 'normal'), started('j4', 1), event('JobCancelled', { job_id: 'j4', reason: 'deleted' }), event('JobDeleted', { job_id: 'j4' })]);
  await store.append('job-j5', [submitted('j5', 'normal'), started('j5', 1), completed('j5', 1), event('JobExpired', { job_id: 'j5', retention_days: 30 })]);
  await store.append('job-j6', [submitted('j6', 'normal'), claimed('j6', 'n1'), started('j6', 1), claimed('j6', 'n2')]);
}

/** Every kind of event the projections read: `sessions` sessions, users, dictation and jobs. */
async function appendEverything(store: EventStore, sessions: number) {
  await appendSessions(store, sessions);
  await appendUsers(store);
  await appendDictation(store);
  await appendJobs(store);
}

const dump = (db: Database) =>
  Object.fromEntries(projections.flatMap((p) => p.tables).map((t) => [t, db.query(`SELECT * FROM ${t} ORDER BY 1`).all()]));

for (const kind of STORE_KINDS) {
  describe(`projections on ${kind.name}`, () => {
    let log: LogUnderTest | undefined;
    const seededOn = async () => {
      log = await kind.fresh();
      return log.node(projections);
    };
    afterEach(async () => {
      await log?.close();
      log = undefined;
    });

    for (const p of projections) {
      it(`${p.name} changes nothing when every event is delivered twice`, async () => {
        const { db, store } = await seededOn();
        await appendEverything(store, 4);
        const before = dump(db);
        expect(before[p.tables[0]!]!.length).toBeGreaterThan(0);
        for (const e of store.readAll(0, 1e6)) applyEvent(db, p, e);
        expect(dump(db)).toEqual(before);
      });
    }

    it('counts per model in transcription_stats', async () => {
      const { db, store } = await seededOn();
      await appendSessions(store, 4);
      expect(db.query('SELECT model_id, sessions, finals, audio_ms FROM transcription_stats ORDER BY model_id').all()).toEqual([
        { model_id: 'a', sessions: 2, finals: 6, audio_ms: 6000 },
        { model_id: 'b', sessions: 2, finals: 6, audio_ms: 6000 },
      ]);
    });

    it('folds dictation events into items, tags, audio and attempts', async () => {
      const { db, store } = await seededOn();
      await appendDictation(store);
      expect(db.query('SELECT id, difficulty, difficulty_inferred, audio_hash, deleted_at IS NOT NULL AS deleted FROM items ORDER BY id').all()).toEqual([
        { id: 'i1', difficulty: 4, difficulty_inferred: 0, audio_hash: 'h1', deleted: 0 },
        { id: 'i2', difficulty: 2, difficulty_inferred: 1, audio_hash: 'h2', deleted: 0 },
        { id: 'i3', difficulty: 2, difficulty_inferred: 1, audio_hash: 'h2', deleted: 1 },
      ]);
      expect(db.query('SELECT item_id, tag FROM item_tags ORDER BY 1, 2').all()).toEqual([{ item_id: 'i1', tag: 'a' }, { item_id: 'i1', tag: 'c' }]);
      expect(db.query('SELECT name FROM tags ORDER BY name').values().flat()).toEqual(['a', 'c', 'd']);
      // h2 was made, removed with its last item, then asked for again by i2: pending once more.
      expect(db.query('SELECT hash, status, tries FROM tts_audio ORDER BY hash').all()).toEqual([
        { hash: 'h1', status: 'ready', tries: 0 },
        { hash: 'h2', status: 'pending', tries: 0 },
      ]);
      expect(db.query('SELECT id, item_deleted FROM attempts ORDER BY id').all()).toEqual([
        { id: 'a1', item_deleted: 0 },
        { id: 'a2', item_deleted: 1 },
      ]);
    });

    it('folds job events into jobs, their segments and their log', async () => {
      const { db, store } = await seededOn();
      await appendJobs(store);
      expect(db.query('SELECT id, status, attempts, failures, dead_letter, progress, segment_count, text FROM jobs ORDER BY id').all()).toEqual([
        { id: 'j1', status: 'completed', attempts: 2, failures: 1, dead_letter: 0, progress: 1, segment_count: 2, text: 'Hello there. Bye.' },
        { id: 'j2', status: 'failed', attempts: 2, failures: 1, dead_letter: 1, progress: 0, segment_count: null, text: null },
        { id: 'j3', status: 'queued', attempts: 1, failures: 0, dead_letter: 0, progress: 0, segment_count: null, text: null },
        { id: 'j5', status: 'expired', attempts: 1, failures: 0, dead_letter: 0, progress: 1, segment_count: 2, text: null },
        { id: 'j6', status: 'running', attempts: 1, failures: 0, dead_letter: 0, progress: 0, segment_count: null, text: null },
      ]);
      // The claim is the latest node's until the job finishes; a finished job holds none.
      expect(db.query('SELECT id, claimed_by FROM jobs WHERE claimed_by IS NOT NULL').all()).toEqual([{ id: 'j6', claimed_by: 'n2' }]);
      expect(db.query(`SELECT message FROM job_log WHERE job_id = 'j6' ORDER BY position`).values().flat()).toContain('claimed by node n2 (lease 30.0 s)');
      // The written text and its words' times; the recogniser's words beside them.
      expect(db.query('SELECT job_id, seq, text, raw_text, words FROM job_segments ORDER BY 1, 2').all()).toEqual([
        { job_id: 'j1', seq: 0, text: 'Hello there.', raw_text: 'hello there', words: JSON.stringify([{ word: 'Hello', start_ms: 0, end_ms: 600 }, { word: 'there.', start_ms: 600, end_ms: 1500 }]) },
        { job_id: 'j1', seq: 1, text: 'Bye.', raw_text: 'bye', words: '[]' },
      ]);
      const log = db.query(`SELECT message FROM job_log WHERE job_id = 'j1' ORDER BY position`).values().flat() as string[];
      // The renewal moved the lease without a line of its own.
      expect(log).toHaveLength(7);
      expect(log[1]).toBe('claimed by node n1 (lease 30.0 s)');
      expect(log[3]).toContain('retrying in 1.0 s');
      expect(log[5]).toBe('chunk 1 of 2 done (50%, 2.0 s of audio)');
      expect(db.query(`SELECT COUNT(*) AS n FROM job_log WHERE job_id = 'j4'`).get()).toEqual({ n: 0 });
    });

    it('rebuilds a projection from the log when its version changes, equal to the live tables', async () => {
      const { db, store } = await seededOn();
      await appendEverything(store, 5);
      const live = dump(db);
      db.exec('DELETE FROM segments; DELETE FROM sessions; DELETE FROM transcription_stats; DELETE FROM api_keys; DELETE FROM users');
      db.exec('DELETE FROM items; DELETE FROM item_tags; DELETE FROM tags; DELETE FROM tts_audio; DELETE FROM attempts');
      db.exec('DELETE FROM jobs; DELETE FROM job_segments; DELETE FROM job_log');
      const bumped = projections.map((p) => (p.name === 'history' ? p : { ...p, version: p.version + 1 }));
      expect(ensureProjections(db, bumped)).toEqual(['sessions', 'transcription_stats', 'users', 'items', 'tags', 'tts_audio', 'attempts', 'jobs']);
      expect(dump(db)).toEqual(live);
      expect(ensureProjections(db, bumped)).toEqual([]);
    });
  });
}

describe('reading events stored under an older schema', () => {
  it('upcasts SessionOpened v1 (no language) to the current shape', () => {
    const { db, store } = seeded();
    db.query(`INSERT INTO events (id, stream_id, version, type, schema_version, data, created_at) VALUES ('e1', 'session-old', 1, 'SessionOpened', 1, ?, '2026-01-01T00:00:00Z')`).run(
      JSON.stringify({ session_id: 'old', model_id: 'm', encoding: 'pcm16', sample_rate: 16000, user_id: null }),
    );
    const [e] = store.readStream('session-old');
    expect(e).toMatchObject({ type: 'SessionOpened', schemaVersion: 4, data: { session_id: 'old', language: null, protocol: 'voxlog', recorded: false } });
  });

  it('upcasts SegmentFinalized v1 (before formatting) to formatted: null', () => {
    const { db, store } = seeded();
    db.query(`INSERT INTO events (id, stream_id, version, type, schema_version, data, created_at) VALUES ('e2', 'session-old', 1, 'SegmentFinalized', 1, ?, '2026-01-01T00:00:00Z')`).run(
      JSON.stringify({ session_id: 'old', segment: 0, text: 'HELLO THERE', start_ms: 0, end_ms: 900, words: [], latency_ms: 5, model_id: 'm', reason: 'endpoint' }),
    );
    const [e] = store.readStream('session-old');
    expect(e).toMatchObject({ type: 'SegmentFinalized', schemaVersion: 2, data: { text: 'HELLO THERE', formatted: null } });
  });

  it('upcasts a job submitted and completed before formatting to format: null and formatted: null', () => {
    const { db, store } = seeded();
    const insert = db.query(`INSERT INTO events (id, stream_id, version, type, schema_version, data, created_at) VALUES (?, 'job-old', ?, ?, 1, ?, '2026-01-01T00:00:00Z')`);
    insert.run('e3', 1, 'JobSubmitted', JSON.stringify({ job_id: 'old', user_id: null, name: 'a', file_name: 'a.wav', size_bytes: 1, upload: 'jobs/old/upload.wav', model_id: 'm', language: null, priority: 'normal', source: 'api', audio: 'WAV', duration_ms: null }));
    insert.run('e4', 2, 'JobCompleted', JSON.stringify({ job_id: 'old', attempt: 1, model_id: 'm', text: 'HELLO', segments: [], audio_ms: 1, chunks: 1, processing_ms: 1 }));
    const [submitted, completed] = store.readStream('job-old');
    expect(submitted).toMatchObject({ type: 'JobSubmitted', schemaVersion: 2, data: { format: null } });
    expect(completed).toMatchObject({ type: 'JobCompleted', schemaVersion: 2, data: { text: 'HELLO', formatted: null } });
  });
});
