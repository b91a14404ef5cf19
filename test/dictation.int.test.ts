import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseWav } from '../src/audio/wav';
import { AUDIO_DIR, references } from './helpers/audio';
import { jsonClient } from './helpers/http';
import { eventually, openSocket, startTestServer, type TestServer } from './helpers/server';

// Real parts: flite and espeak-ng speak the items, the shared real English model hears the attempts.
let server: TestServer;
let call: ReturnType<typeof jsonClient>;
beforeAll(async () => {
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' });
  call = jsonClient(server.url);
});
afterAll(() => server.dispose());

const create = async (body: Record<string, unknown>) => {
  const r = await call('POST', '/api/v1/items', body);
  expect(r.status).toBe(202);
  return r.body;
};
const settled = (id: string) =>
  eventually(async () => {
    const r = await call('GET', `/api/v1/items/${id}/tts-status`);
    return r.body.status !== 'pending' && r.body;
  }, 20_000);
const audioFiles = () => (existsSync(join(server.dataDir, 'tts')) ? readdirSync(join(server.dataDir, 'tts'), { recursive: true }).filter((f) => String(f).endsWith('.wav')) : []);

describe('items with generated speech', () => {
  for (const [voice, rate] of [['flite:slt', 16000], ['espeak-ng:en-us', 22050]] as const) {
    it(`${voice} speaks the item, served back as a valid WAV`, async () => {
      const item = await create({ locale: 'en-US', text: `Please read this sentence with ${voice.split(':')[0]}.`, voice });
      expect(item.audio).toMatchObject({ status: 'pending', voice });
      const status = await settled(item.id);
      expect(status).toMatchObject({ status: 'ready', provider: voice.split(':')[0], sample_rate: rate, error: null });
      const r = await fetch(`${server.url}/api/v1/items/${item.id}/audio`);
      expect(r.headers.get('content-type')).toBe('audio/wav');
      const wav = parseWav(new Uint8Array(await r.arrayBuffer()));
      expect(wav).toMatchObject({ format: 'pcm16', sampleRate: rate, channels: 1 });
      const ms = (wav.data.length / 2 / rate) * 1000;
      expect(Math.abs(ms - status.duration_ms)).toBeLessThanOrEqual(1);
      expect(ms).toBeGreaterThan(1000);
    });
  }

  it('serves byte ranges and answers a current ETag with 304', async () => {
    const item = await create({ locale: 'en-US', text: 'Ranges let a player seek.' });
    await settled(item.id);
    const url = `${server.url}/api/v1/items/${item.id}/audio`;
    const full = await fetch(url);
    const bytes = new Uint8Array(await full.arrayBuffer());
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const part = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    const tail = await fetch(url, { headers: { range: 'bytes=-4' } });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 4));
    expect((await fetch(url, { headers: { range: `bytes=${bytes.length}-` } })).status).toBe(416);
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(url, { headers: { range: 'bytes=0-3', 'if-range': '"stale"' } })).status).toBe(200);
  });

  it('makes identical requests share one file, and removes it with the last item using it', async () => {
    const before = audioFiles().length;
    const body = { locale: 'en-US', text: 'Two items, one recording.', voice: 'flite:kal16' };
    const [a, b] = [await create(body), await create({ ...body, tags: ['shared'] })];
    await Promise.all([settled(a.id), settled(b.id)]);
    const etag = async (id: string) => (await fetch(`${server.url}/api/v1/items/${id}/audio`)).headers.get('etag');
    expect(await etag(a.id)).toBe((await etag(b.id))!);
    expect(audioFiles().length).toBe(before + 1);
    expect((await call('DELETE', `/api/v1/items/${a.id}`)).status).toBe(204);
    expect(audioFiles().length).toBe(before + 1);
    expect((await fetch(`${server.url}/api/v1/items/${b.id}/audio`)).status).toBe(200);
    await call('DELETE', `/api/v1/items/${b.id}`);
    expect(audioFiles().length).toBe(before);
    // The same request again makes the file again.
    const c = await create(body);
    expect(await settled(c.id)).toMatchObject({ status: 'ready' });
    expect(audioFiles().length).toBe(before + 1);
  });

  it('makes new audio on refresh with another voice or speed', async () => {
    const item = await create({ locale: 'en-US', text: 'Say it again, slower.', voice: 'flite:rms' });
    const first = await settled(item.id);
    const r = await call('POST', `/api/v1/items/${item.id}/audio/refresh`, { speed: 0.7 });
    expect(r.status).toBe(202);
    expect(r.body.audio).toMatchObject({ voice: 'flite:rms', speed: 0.7 });
    const second = await settled(item.id);
    expect(second.duration_ms).toBeGreaterThan(first.duration_ms * 1.2);
    const voiced = await call('POST', `/api/v1/items/${item.id}/audio/refresh`, { voice: 'espeak-ng:en-us' });
    expect(voiced.body.audio.voice).toBe('espeak-ng:en-us');
    expect(await settled(item.id)).toMatchObject({ status: 'ready', provider: 'espeak-ng' });
  });

  it('speaks text that looks like command-line options, since text never goes on a command line', async () => {
    for (const voice of ['flite:slt', 'espeak-ng:en-us']) {
      const item = await create({ locale: 'en-US', text: '-o /tmp/x --help -v nobody', voice });
      expect(await settled(item.id)).toMatchObject({ status: 'ready' });
    }
  });

  it('lists voices with what each needs, and refuses a neural voice that is not on disk', async () => {
    const voices = (await call('GET', '/api/v1/tts/voices')).body.voices as { id: string; available: boolean; reason: string | null }[];
    expect(voices.find((v) => v.id === 'flite:slt')).toMatchObject({ available: true, reason: null });
    expect(voices.find((v) => v.id === 'espeak-ng:fr-fr')).toMatchObject({ available: true });
    const piper = voices.find((v) => v.id === 'sherpa-onnx:vits-piper-en_US-amy-low')!;
    expect(piper.available).toBe(false);
    expect(piper.reason).toContain('bun run models pull vits-piper-en_US-amy-low');
    const r = await call('POST', '/api/v1/items', { locale: 'en-US', text: 'Neural, please.', voice: piper.id });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('models pull');
  });
});

describe('attempts', () => {
  it('marks exactly the one wrong word of a typed attempt as substituted', async () => {
    const item = await create({ locale: 'en-US', text: 'The quick brown fox jumps over the lazy dog.' });
    const r = await call('POST', '/api/v1/attempts', { item_id: item.id, text: 'the quick brown cat jumps over the lazy dog' });
    expect(r.status).toBe(201);
    expect(r.body.words.filter((w: { mark: string }) => w.mark !== 'correct')).toEqual([{ mark: 'substituted', ref: 'fox', hyp: 'cat' }]);
    expect(r.body).toMatchObject({ kind: 'typed', substitutions: 1, deletions: 0, insertions: 0, reference_words: 9 });
    expect(r.body.wer).toBeCloseTo(1 / 9);
  });

  it('scores a real recording of the reference under the real model within its measured error', async () => {
    // The shared model's WER on these clips is about 0.06 (README); one clip may do worse.
    const refs = references('librispeech');
    let errors = 0;
    let words = 0;
    for (const clip of ['0.wav', '1089-134686-0000.wav']) {
      const item = await create({ locale: 'en-US', text: refs.get(clip.replace('.wav', ''))! });
      const form = new FormData();
      form.set('item_id', item.id);
      form.set('file', Bun.file(join(AUDIO_DIR, 'librispeech', clip)));
      const r = await call('POST', '/api/v1/attempts', form);
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ kind: 'spoken', model_id: 'gigaspeech-zipformer-3.3M-en' });
      expect(r.body.audio_ms).toBeGreaterThan(3000);
      expect(r.body.wer).toBeLessThan(0.3);
      errors += r.body.substitutions + r.body.deletions + r.body.insertions;
      words += r.body.reference_words;
    }
    expect(errors / words).toBeLessThan(0.15);
  });

  it('scores a live session opened with item_id when it closes', async () => {
    const refs = references('librispeech');
    const item = await create({ locale: 'en-US', text: refs.get('1')! });
    const wav = parseWav(new Uint8Array(await Bun.file(join(AUDIO_DIR, 'librispeech', '1.wav')).arrayBuffer()));
    const socket = openSocket(server.wsUrl({ item_id: item.id }));
    const ready = await socket.next('ready');
    const attemptId = ready.attempt_id!;
    expect(ready.item_id).toBe(item.id);
    expect(attemptId).toMatch(/^[0-9a-z]{16}$/);
    for (let at = 0; at < wav.data.length; at += 3200) socket.ws.send(wav.data.subarray(at, at + 3200));
    socket.ws.send(JSON.stringify({ type: 'close' }));
    await socket.next('closed');
    const attempt = await eventually(async () => {
      const r = await call('GET', `/api/v1/attempts/${attemptId}`);
      return r.status === 200 && r.body;
    });
    expect(attempt).toMatchObject({ kind: 'live', item_id: item.id, session_id: ready.session_id });
    expect(attempt.wer).toBeLessThan(0.3);
    expect((await call('GET', `/api/v1/attempts?session_id=${ready.session_id}`)).body.total).toBe(1);
  });

  it('refuses a live session for an unknown item before it starts', async () => {
    const socket = openSocket(server.wsUrl({ item_id: 'nope' }));
    expect(await socket.next('error')).toMatchObject({ code: 'unknown_item' });
  });
});

describe('stats, tags and the log', () => {
  it('agree with the attempts made', async () => {
    const item = await create({ locale: 'en-US', text: 'one two three four', tags: ['counting'] });
    for (const text of ['one two three four', 'one two three', 'one to three for', 'won two three four five']) {
      expect((await call('POST', '/api/v1/attempts', { item_id: item.id, text })).status).toBe(201);
    }
    const wers = [0, 0.25, 0.5, 0.5];
    const s = (await call('GET', `/api/v1/stats/items/${item.id}`)).body;
    expect(s).toMatchObject({ attempts: 4, typed: 4, items_practised: 1, best_wer: 0, best_accuracy: 1 });
    expect(s.mean_wer).toBeCloseTo(wers.reduce((a, b) => a + b) / 4);
    expect(s.recent.map((r: { wer: number }) => r.wer)).toEqual([...wers].reverse());
    const got = (await call('GET', `/api/v1/items/${item.id}`)).body;
    expect(got).toMatchObject({ attempts: 4, last_score: 0.5, best_score: 1, best_wer: 0 });

    // The whole summary is the pooled view of every attempt listed.
    const all = (await call('GET', '/api/v1/attempts?limit=500')).body;
    const summary = (await call('GET', '/api/v1/stats/summary')).body;
    expect(summary.attempts).toBe(all.total);
    expect(summary.mean_wer).toBeCloseTo(all.items.reduce((n: number, a: { wer: number }) => n + a.wer, 0) / all.total);
    expect(summary.items_practised).toBe(new Set(all.items.map((a: { item_id: string }) => a.item_id)).size);
    const today = (await call('GET', '/api/v1/stats/progress?days=7&tz=Pacific/Kiritimati')).body.series;
    expect(today).toHaveLength(7);
    expect(today.reduce((n: number, d: { attempts: number }) => n + d.attempts, 0)).toBe(all.total);
    const log = (await call('GET', '/api/v1/stats/practice-log?limit=500')).body;
    expect(log.items.find((r: { item_id: string }) => r.item_id === item.id)).toMatchObject({ attempts: 4, tags: ['counting'], deleted: false, last_wer: 0.5 });
  });

  it('keeps a deleted item’s attempts in the stats, marked deleted, and refuses new ones', async () => {
    const item = await create({ locale: 'en-US', text: 'Soon to be gone.' });
    await call('POST', '/api/v1/attempts', { item_id: item.id, text: 'soon to be gone' });
    expect((await call('DELETE', `/api/v1/items/${item.id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/items/${item.id}`)).status).toBe(404);
    const attempts = (await call('GET', `/api/v1/attempts?item_id=${item.id}`)).body;
    expect(attempts.items).toEqual([expect.objectContaining({ item_deleted: true, wer: 0 })]);
    expect((await call('GET', `/api/v1/stats/items/${item.id}`)).body).toMatchObject({ attempts: 1 });
    const log = (await call('GET', '/api/v1/stats/practice-log?limit=500')).body;
    expect(log.items.find((r: { item_id: string }) => r.item_id === item.id)).toMatchObject({ deleted: true });
    const again = await call('POST', '/api/v1/attempts', { item_id: item.id, text: 'soon' });
    expect(again.status).toBe(404);
  });

  it('counts practice time as the item audio heard per attempt plus the audio spoken', async () => {
    const item = await create({ locale: 'en-US', text: 'How long did I practise?' });
    const audio = await settled(item.id);
    await call('POST', '/api/v1/attempts', { item_id: item.id, text: 'how long did i practise' });
    const spoken = new FormData();
    spoken.set('item_id', item.id);
    spoken.set('file', Bun.file(join(AUDIO_DIR, 'librispeech', '0.wav')));
    const said = (await call('POST', '/api/v1/attempts', spoken)).body;
    const s = (await call('GET', `/api/v1/stats/items/${item.id}`)).body;
    expect(s.practice_ms).toBe(2 * audio.duration_ms + said.audio_ms);
  });

  it('filters, sorts and pages items with a total', async () => {
    const tag = `f${Date.now()}`;
    for (const [text, difficulty, tags] of [['alpha one', 1, [tag, 'x']], ['beta two', 3, [tag]], ['gamma three', 5, [tag, 'x']]] as const) {
      await create({ locale: 'en-US', text, difficulty, tags });
    }
    const list = async (q: string) => (await call('GET', `/api/v1/items?${q.includes('tags=') ? '' : `tags=${tag}&`}${q}`)).body;
    expect((await list('sort=difficulty&order=asc')).items.map((i: { text: string }) => i.text)).toEqual(['alpha one', 'beta two', 'gamma three']);
    expect((await list(`tags=${tag},x&tags_mode=all`)).total).toBe(2);
    expect((await list('difficulty_min=2&difficulty_max=4')).items.map((i: { text: string }) => i.text)).toEqual(['beta two']);
    expect((await list('q=mm')).items.map((i: { text: string }) => i.text)).toEqual(['gamma three']);
    const page = await list('limit=1&offset=1&sort=created&order=asc');
    const beta = page.items[0];
    expect([page.total, page.limit, page.offset, page.items.length, beta.text]).toEqual([3, 1, 1, 1, 'beta two']);
    expect((await call('POST', '/api/v1/attempts', { item_id: beta.id, text: 'beta two' })).status).toBe(201);
    expect((await list('practiced=true')).items.map((i: { id: string }) => i.id)).toEqual([beta.id]);
    expect((await list('practiced=false')).total).toBe(2);
    expect((await list('sort=last_practiced')).items[0].id).toBe(beta.id);
  });

  it('creates tags, refuses a duplicate, and deleting one takes it off items', async () => {
    expect((await call('POST', '/api/v1/tags', { name: 'verbs' })).status).toBe(201);
    expect((await call('POST', '/api/v1/tags', { name: 'verbs' })).status).toBe(409);
    const item = await create({ locale: 'en-US', text: 'Run, jump, swim.', tags: ['verbs', 'sport'] });
    expect((await call('PATCH', `/api/v1/items/${item.id}/tags`, { tags: ['verbs'] })).body.tags).toEqual(['verbs']);
    expect((await call('GET', '/api/v1/tags')).body.tags.find((t: { name: string }) => t.name === 'verbs')).toMatchObject({ items: 1 });
    expect((await call('DELETE', '/api/v1/tags/verbs')).status).toBe(204);
    expect((await call('GET', `/api/v1/items/${item.id}`)).body.tags).toEqual([]);
    expect((await call('DELETE', '/api/v1/tags/verbs')).status).toBe(404);
    expect((await call('PATCH', `/api/v1/items/${item.id}/difficulty`, { difficulty: 5 })).body).toMatchObject({ difficulty: 5, difficulty_inferred: false });
  });

  it('rebuilds every dictation projection from the log equal to the live tables', async () => {
    const p = Bun.spawn(['bun', 'run', 'replay', '--db', join(server.dataDir, 'voxlog.sqlite')], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    for (const t of ['items', 'item_tags', 'tags', 'tts_audio', 'attempts']) expect(out).toMatch(new RegExp(`${t}\\s+[1-9]\\d* rows  same`));
  });
});
