import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcm16Wav, silence } from './helpers/audio';
import { jsonClient, signIn } from './helpers/http';
import { eventually, startTestServer, type TestServer } from './helpers/server';

const SECRET = 'a-test-secret-that-is-at-least-32-characters-long';
const UPLOAD_LIMIT = 100_000;
let server: TestServer;
let admin: ReturnType<typeof jsonClient>;
let alice: ReturnType<typeof jsonClient>;
let bob: ReturnType<typeof jsonClient>;
let aliceToken: string;


beforeAll(async () => {
  server = await startTestServer({ VOXLOG_AUTH: 'on', VOXLOG_SECRET_KEY: SECRET, VOXLOG_ADMIN_PASSWORD: 'admin-password-1', VOXLOG_MAX_ATTEMPT_AUDIO_BYTES: String(UPLOAD_LIMIT) });
  admin = jsonClient(server.url, await signIn(server.url, 'admin', 'admin-password-1'));
  for (const name of ['alice', 'bob']) expect((await admin('POST', '/api/v1/admin/users', { name, password: `${name}-password` })).status).toBe(201);
  aliceToken = await signIn(server.url, 'alice', 'alice-password');
  alice = jsonClient(server.url, aliceToken);
  bob = jsonClient(server.url, await signIn(server.url, 'bob', 'bob-password'));
});
afterAll(() => server.dispose());

const eventCount = () => (server.db().query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
const newItem = async (text = 'A sentence to practise.') => {
  const r = await alice('POST', '/api/v1/items', { locale: 'en-US', text });
  expect(r.status).toBe(202);
  return r.body.id as string;
};

describe('bad dictation input', () => {
  it('gets a clear 4xx naming the field, and writes nothing', async () => {
    const itemId = await newItem();
    // Its audio settles first, so only these requests could add events.
    await eventually(async () => (await alice('GET', `/api/v1/items/${itemId}/tts-status`)).body.status === 'ready');
    const before = eventCount();
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/api/v1/items', { locale: 'en-US', text: '' }, 400, /text/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: '   ' }, 400, /text is empty/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: 'x'.repeat(10_000) }, 400, /text must be 1 to 1000/],
      ['POST', '/api/v1/items', { locale: 'xx-YY', text: 'hello' }, 400, /locale "xx-YY" is not supported/],
      ['POST', '/api/v1/items', { text: 'hello' }, 400, /locale/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: 'hello', difficulty: 0 }, 400, /difficulty must be an integer from 1 to 5/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: 'hello', difficulty: 6 }, 400, /difficulty/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: 'hello', tags: [1, 2] }, 400, /tag/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: 'hello', tags: 'a,b' }, 400, /tags/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: 'hello', speed: 9 }, 400, /speed/],
      ['POST', '/api/v1/items', { locale: 'en-US', text: 'hello', voice: 'flite:nobody' }, 400, /unknown voice/],
      ['POST', '/api/v1/items/bulk', { items: Array.from({ length: 501 }, () => ({ locale: 'en-US', text: 'hi' })) }, 400, /items must be an array of 1 to 500/],
      ['POST', '/api/v1/items/bulk', { items: [] }, 400, /items/],
      ['POST', '/api/v1/attempts', { item_id: 'nope', text: 'hello' }, 404, /no item nope/],
      ['POST', '/api/v1/attempts', { item_id: itemId }, 400, /text is required/],
      ['PATCH', `/api/v1/items/${itemId}/difficulty`, { difficulty: 6 }, 400, /difficulty/],
      ['PATCH', `/api/v1/items/${itemId}/tags`, { tags: [''] }, 400, /tag/],
      ['GET', '/api/v1/stats/summary?since=2026-12-02&until=2026-12-01', undefined, 400, /since .* must be before until/],
      ['GET', '/api/v1/stats/summary?since=yesterday', undefined, 400, /since/],
      ['GET', '/api/v1/attempts?since=2026-12-02T10:00:00Z&until=2026-12-02T09:00:00Z', undefined, 400, /since/],
      ['GET', '/api/v1/stats/progress?days=0', undefined, 400, /days must be an integer from 1 to 365/],
      ['GET', '/api/v1/stats/progress?days=366', undefined, 400, /days/],
      ['GET', '/api/v1/stats/progress?tz=Mars/Olympus', undefined, 400, /tz/],
      ['GET', '/api/v1/items?difficulty_min=4&difficulty_max=2', undefined, 400, /difficulty_min/],
      ['GET', '/api/v1/items?locale=zz', undefined, 400, /locale/],
      ['GET', '/api/v1/items?practiced=maybe', undefined, 400, /practiced must be true or false/],
      ['POST', '/api/v1/tags', { name: 7 }, 400, /tag/],
      ['POST', '/api/v1/tags', { name: 'a,b' }, 400, /without commas/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const r = await alice(method, path, body);
      expect({ path, body: JSON.stringify(body)?.slice(0, 60), status: r.status }).toEqual({ path, body: JSON.stringify(body)?.slice(0, 60), status });
      expect(r.body.error.message).toMatch(message);
    }
    const malformed = await fetch(`${server.url}/api/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}` }, body: '{"locale":' });
    expect(malformed.status).toBe(400);
    expect(eventCount()).toBe(before);
  });

  it('creates the valid rows of a bulk request and reports each refused one', async () => {
    const r = await alice('POST', '/api/v1/items/bulk', {
      items: [{ locale: 'en', text: 'First row.' }, { locale: 'en', text: 'Bad row', difficulty: 9 }, 'not an object', { locale: 'fr', text: 'Troisième ligne.', tags: ['fr'] }],
    });
    expect(r.status).toBe(202);
    expect([r.body.created, r.body.failed]).toEqual([2, 2]);
    expect(r.body.results.map((x: { index: number; item?: unknown; error?: { message: string } }) => [x.index, x.item ? 'created' : x.error!.message])).toEqual([
      [0, 'created'],
      [1, 'difficulty must be an integer from 1 to 5'],
      [2, expect.stringContaining('row')],
      [3, 'created'],
    ]);
    expect(r.body.results[3].item).toMatchObject({ locale: 'fr-FR', tags: ['fr'], audio: { voice: 'espeak-ng:fr-fr' } });
  });

  it('answers audio that is not audio with 415, scores a silent recording WER 1 with an empty transcript, and refuses an oversized one with 413', async () => {
    const itemId = await newItem('Say something, anything.');
    const junk = new FormData();
    junk.set('item_id', itemId);
    junk.set('file', new Blob(['this is a text file, not a recording']), 'notes.txt');
    const refused = await alice('POST', '/api/v1/attempts', junk);
    expect(refused.status).toBe(415);
    expect(refused.body.error.message).toMatch(/^file: /);
    expect(refused.body.error.message).not.toContain(server.dataDir);
    const quiet = new FormData();
    quiet.set('item_id', itemId);
    quiet.set('file', new Blob([pcm16Wav(silence(2))]), 'quiet.wav');
    const scored = await alice('POST', '/api/v1/attempts', quiet);
    expect(scored.status).toBe(201);
    expect(scored.body).toMatchObject({ kind: 'spoken', text: '', wer: 1, accuracy: 0, audio_ms: 2000 });
    const big = new FormData();
    big.set('item_id', itemId);
    big.set('file', new Blob([pcm16Wav(silence(5))]), 'long.wav'); // 160 kB, over the 100 kB set for this server
    const tooBig = await alice('POST', '/api/v1/attempts', big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.message).toContain('VOXLOG_MAX_ATTEMPT_AUDIO_BYTES');
  });
});

describe('an upload over the attempt limit', () => {
  it('is refused with 413 from its Content-Length, before the body is read', async () => {
    const itemId = await newItem('Too long to hear.');
    const form = new FormData();
    form.set('item_id', itemId);
    form.set('file', new Blob([pcm16Wav(silence(30))]), 'long.wav'); // 960 kB against a 100 kB limit
    const r = await alice('POST', '/api/v1/attempts', form);
    expect(r.status).toBe(413);
    expect(r.body.error.message).toMatch(/^the request body is \d+ bytes; a spoken attempt may be at most 100000 bytes/);
  });
});

describe('dictation belongs to its user', () => {
  it("hides one user's items, attempts and stats from another, and shows all to an admin", async () => {
    const itemId = await newItem('Only Alice practises this.');
    const attempt = await alice('POST', '/api/v1/attempts', { item_id: itemId, text: 'only alice practises this' });
    expect(attempt.status).toBe(201);
    expect(attempt.body.user_id).not.toBeNull();
    for (const path of [`/api/v1/items/${itemId}`, `/api/v1/items/${itemId}/audio`, `/api/v1/items/${itemId}/tts-status`, `/api/v1/attempts/${attempt.body.id}`, `/api/v1/stats/items/${itemId}`]) {
      expect((await bob('GET', path)).status).toBe(404);
    }
    expect((await bob('POST', '/api/v1/attempts', { item_id: itemId, text: 'x' })).status).toBe(404);
    expect((await bob('DELETE', `/api/v1/items/${itemId}`)).status).toBe(404);
    expect((await bob('GET', '/api/v1/items')).body.total).toBe(0);
    expect((await bob('GET', '/api/v1/stats/summary')).body.attempts).toBe(0);
    expect((await admin('GET', '/api/v1/items')).body.items.some((i: { id: string }) => i.id === itemId)).toBe(true);
    expect((await admin('GET', `/api/v1/attempts/${attempt.body.id}`)).status).toBe(200);
    // Tags are per user: the same name is free for each.
    expect((await alice('POST', '/api/v1/tags', { name: 'mine' })).status).toBe(201);
    expect((await bob('POST', '/api/v1/tags', { name: 'mine' })).status).toBe(201);
    expect((await bob('DELETE', '/api/v1/tags/mine')).status).toBe(204);
    expect((await alice('GET', '/api/v1/tags')).body.tags.map((t: { name: string }) => t.name)).toContain('mine');
  });
});

describe('speech generation that fails or is interrupted', () => {
  const fakes = mkdtempSync(join(tmpdir(), 'voxlog-fake-tts-'));
  const script = (name: string, body: string) => {
    const path = join(fakes, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  afterAll(() => rmSync(fakes, { recursive: true, force: true }));

  it('retries a failing provider with backoff, then marks the audio failed with the reason; a refresh with another voice recovers', async () => {
    const s = await startTestServer({ VOXLOG_FLITE: script('failing-flite', 'echo "synthetic failure" >&2; exit 1'), VOXLOG_TTS_MAX_TRIES: '3', VOXLOG_TTS_RETRY_MS: '20' });
    try {
      const call = jsonClient(s.url);
      const item = (await call('POST', '/api/v1/items', { locale: 'en-US', text: 'This will not be spoken.', voice: 'flite:slt' })).body;
      const failed = await eventually(async () => {
        const r = (await call('GET', `/api/v1/items/${item.id}/tts-status`)).body;
        return r.status === 'failed' && r;
      });
      expect(failed).toMatchObject({ tries: 3, error: expect.stringContaining('synthetic failure') });
      const logged = s.db().query("SELECT json_extract(data, '$.retrying') AS retrying FROM events WHERE type = 'TtsFailed' ORDER BY position").values().flat();
      expect(logged).toEqual([1, 1, 0]);
      expect((await call('GET', `/api/v1/items/${item.id}/audio`)).status).toBe(409);
      const refreshed = await call('POST', `/api/v1/items/${item.id}/audio/refresh`, { voice: 'espeak-ng:en-us' });
      expect(refreshed.status).toBe(202);
      expect(await eventually(async () => (await call('GET', `/api/v1/items/${item.id}/tts-status`)).body.status === 'ready')).toBe(true);
    } finally {
      await s.dispose();
    }
  });

  it('loads a neural voice in a child process, so a broken model fails its item and not the server', async () => {
    const voiceDir = join(fakes, 'voices', 'broken-voice');
    mkdirSync(join(voiceDir, 'espeak-ng-data'), { recursive: true });
    for (const f of ['phontab', 'phonindex', 'phondata', 'intonations']) writeFileSync(join(voiceDir, 'espeak-ng-data', f), 'not espeak data');
    // Starts like an ONNX protobuf (passes the cheap check) but is garbage to onnxruntime; the
    // espeak-ng data files exist, so sherpa-onnx's config check passes and it goes on to load the model.
    writeFileSync(join(voiceDir, 'model.onnx'), Buffer.concat([Buffer.from([0x08, 0x07]), Buffer.alloc(4096, 0x5a)]));
    writeFileSync(join(voiceDir, 'tokens.txt'), 'a 0\nb 1\n');
    const catalog = join(fakes, 'catalog.json');
    writeFileSync(catalog, JSON.stringify([{ id: 'broken-voice', kind: 'tts', language: 'en-US', description: 'a corrupt voice', licence: 'test', tts: 'vits', files: { model: 'model.onnx', tokens: 'tokens.txt', dataDir: 'espeak-ng-data' } }]));
    const s = await startTestServer({ VOXLOG_CATALOG_FILE: catalog, VOXLOG_MODELS_DIR: join(fakes, 'voices'), VOXLOG_TTS_MAX_TRIES: '2', VOXLOG_TTS_RETRY_MS: '10' });
    try {
      const call = jsonClient(s.url);
      const created = await call('POST', '/api/v1/items', { locale: 'en-US', text: 'A voice that cannot load.', voice: 'sherpa-onnx:broken-voice' });
      expect(created.status).toBe(202);
      const failed = await eventually(async () => {
        const r = (await call('GET', `/api/v1/items/${created.body.id}/tts-status`)).body;
        return r.status === 'failed' && r;
      }, 30_000);
      // onnxruntime aborts the process on a model it cannot parse: here that is the child.
      expect(failed.error).toMatch(/^the sherpa-onnx voice process crashed \(SIGABRT\): .*Protobuf parsing failed/);
      expect(failed.tries).toBe(1); // a voice that does not load is not retried
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.dispose();
    }
  });

  it('finishes audio left pending when the server stopped, after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-test-'));
    const first = await startTestServer({ VOXLOG_FLITE: script('slow-flite', 'sleep 30') }, dataDir);
    const item = (await jsonClient(first.url)('POST', '/api/v1/items', { locale: 'en-US', text: 'Finish me after a restart.', voice: 'flite:slt' })).body;
    expect(item.audio.status).toBe('pending');
    await first.stop();
    const second = await startTestServer({}, dataDir);
    try {
      const call = jsonClient(second.url);
      const status = await eventually(async () => {
        const r = (await call('GET', `/api/v1/items/${item.id}/tts-status`)).body;
        return r.status !== 'pending' && r;
      });
      expect(status).toMatchObject({ status: 'ready', provider: 'flite' });
      expect((await fetch(`${second.url}/api/v1/items/${item.id}/audio`)).status).toBe(200);
    } finally {
      await second.dispose();
    }
  });
});
