import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { parseSync } from 'subtitle';
import { WebVTTParser } from 'webvtt-parser';
import { wordErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, references } from './helpers/audio';
import { jsonClient, signIn } from './helpers/http';
import { startTestServer, type TestServer } from './helpers/server';

const SECRET = 'a-test-secret-that-is-at-least-32-characters-long';
const JFK = readFileSync(join(AUDIO_DIR, 'jfk', 'jfk.wav'));
const REFERENCE = references('jfk').get('jfk')!;
/** The real model's WER on this clip through the server is 0.045 (README); this bound leaves margin. */
const WER_BOUND = 0.15;

let server: TestServer;
let client: OpenAI;
let alice: ReturnType<typeof jsonClient>;
const jfk = () => toFile(JFK, 'jfk.wav', { type: 'audio/wav' });

beforeAll(async () => {
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '', VOXLOG_AUTH: 'on', VOXLOG_SECRET_KEY: SECRET, VOXLOG_ADMIN_PASSWORD: 'admin-password-1' });
  const admin = jsonClient(server.url, await signIn(server.url, 'admin', 'admin-password-1'));
  await admin('POST', '/api/v1/admin/users', { name: 'alice', password: 'alice-password' });
  alice = jsonClient(server.url, await signIn(server.url, 'alice', 'alice-password'));
  const key = await alice('POST', '/api/v1/auth/keys', { name: 'open webui' });
  // The SDK sends its apiKey as a Bearer token: a voxlog API key works there.
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key.body.key, maxRetries: 0 });
});
afterAll(() => server.dispose());


describe('the official openai SDK pointed at voxlog', () => {
  it('transcribes with json (the default), using the default model for whisper-1', async () => {
    const t = await client.audio.transcriptions.create({ file: await jfk(), model: 'whisper-1' });
    expect(wordErrorRate(REFERENCE, t.text).rate).toBeLessThan(WER_BOUND);
    // It ran as a high-priority job that the user owns and can list.
    const jobs = (await alice('GET', '/api/v1/jobs')).body.jobs;
    expect(jobs[0]).toMatchObject({ source: 'openai', priority: 'high', status: 'completed', model_id: 'gigaspeech-zipformer-3.3M-en' });
  });

  it('answers text, srt and vtt as their own formats', async () => {
    const text = await client.audio.transcriptions.create({ file: await jfk(), model: 'gpt-4o-transcribe', response_format: 'text' });
    expect(typeof text).toBe('string');
    expect(wordErrorRate(REFERENCE, text as unknown as string).rate).toBeLessThan(WER_BOUND);
    const srt = (await client.audio.transcriptions.create({ file: await jfk(), model: 'whisper-1', response_format: 'srt' })) as unknown as string;
    expect(parseSync(srt).filter((n) => n.type === 'cue').length).toBeGreaterThan(0);
    const vtt = (await client.audio.transcriptions.create({ file: await jfk(), model: 'whisper-1', response_format: 'vtt' })) as unknown as string;
    expect(new WebVTTParser().parse(vtt, 'metadata').errors).toEqual([]);
  });

  it('gives verbose_json with segments and word timestamps in seconds, picking a voxlog model by id', async () => {
    const t = await client.audio.transcriptions.create({
      file: await jfk(),
      model: 'gigaspeech-zipformer-3.3M-en-greedy',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(t.duration).toBe(11);
    expect(t.segments!.length).toBeGreaterThan(0);
    expect(Object.keys(t.segments![0]!).sort()).toEqual(['avg_logprob', 'compression_ratio', 'end', 'id', 'no_speech_prob', 'seek', 'start', 'temperature', 'text', 'tokens']);
    const words = t.words!;
    expect(words.length).toBeGreaterThan(15);
    expect(words.every((w, i) => w.end >= w.start && w.end <= 11 && (i === 0 || w.start >= words[i - 1]!.start))).toBe(true);
    const jobs = (await alice('GET', '/api/v1/jobs?limit=1')).body.jobs;
    expect(jobs[0].model_id).toBe('gigaspeech-zipformer-3.3M-en-greedy');
  });

  it('streams transcript.text.delta events and a final transcript.text.done', async () => {
    const stream = await client.audio.transcriptions.create({ file: await jfk(), model: 'whisper-1', stream: true });
    const events: { type: string; delta?: string; text?: string }[] = [];
    for await (const e of stream) events.push(e);
    const deltas = events.filter((e) => e.type === 'transcript.text.delta');
    const done = events.at(-1)!;
    expect(deltas.length).toBeGreaterThan(0);
    expect(done.type).toBe('transcript.text.done');
    expect(deltas.map((d) => d.delta).join('')).toBe(done.text!);
    expect(wordErrorRate(REFERENCE, done.text!).rate).toBeLessThan(WER_BOUND);
  });

  it("keeps each user's jobs to themselves", async () => {
    const admin = jsonClient(server.url, await signIn(server.url, 'admin', 'admin-password-1'));
    await admin('POST', '/api/v1/admin/users', { name: 'bob', password: 'bob-password' });
    const bob = jsonClient(server.url, await signIn(server.url, 'bob', 'bob-password'));
    const mine = (await alice('GET', '/api/v1/jobs')).body.jobs;
    expect(mine.length).toBeGreaterThan(0);
    expect((await bob('GET', '/api/v1/jobs')).body.total).toBe(0);
    for (const [method, path] of [['GET', ''], ['GET', '/download'], ['GET', '/log'], ['DELETE', ''], ['POST', '/restart']] as const) expect((await bob(method, `/api/v1/jobs/${mine[0].id}${path}`)).status).toBe(404);
    expect((await admin('GET', '/api/v1/jobs')).body.total).toBe(mine.length);
    // The event feed is filtered by owner too: the job's events (run, progress, completion) are alice's.
    const completed = (await alice('GET', '/api/v1/events?type=JobCompleted')).body.events;
    expect(completed.length).toBe(mine.length);
    expect((await bob('GET', '/api/v1/events?type=JobProgressed')).body.events).toEqual([]);
    expect((await bob('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 1 })).status).toBe(403);
  });

  it("follows a job's live feed with the credential where browsers can put it", async () => {
    const { id } = (await alice('GET', '/api/v1/jobs?limit=1')).body.jobs[0];
    const key = client.apiKey!;
    expect((await fetch(`${server.url}/api/v1/jobs/${id}/events`)).status).toBe(401);
    const sse = await (await fetch(`${server.url}/api/v1/jobs/${id}/events?token=${key}`)).text();
    expect(sse).toContain('"type":"end","status":"completed"');
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/jobs/${id}`, ['token', key]);
    const messages: { type: string }[] = [];
    ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
    expect(await new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code)))).toBe(1000);
    expect(messages.at(-1)).toMatchObject({ type: 'end', status: 'completed' });
  });

  it('lists the models that can run, in the OpenAI shape', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id), expect(m.object).toBe('model');
    // The shared folder holds the real model and the two fixtures; catalog models not on disk are left out.
    expect(ids.sort()).toEqual(['gigaspeech-zipformer-3.3M-en', 'gigaspeech-zipformer-3.3M-en-greedy', 'tiny-offline-bigru-ctc-en', 'tiny-streaming-lstm-ctc-en']);
  });

  it('refuses a misspelt or absent model at once, naming what can run, and keeps no job', async () => {
    const failure = (p: PromiseLike<unknown>) => Promise.resolve(p).then(() => null, (e: unknown) => e);
    const before = (await alice('GET', '/api/v1/jobs')).body.jobs.length;
    const typo = (await failure(client.audio.transcriptions.create({ file: await jfk(), model: 'gpt-4o-transcribbe' }))) as { status: number; code: string; type: string; message: string };
    expect(typo).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error' });
    expect(typo.message).toContain('did you mean gpt-4o-transcribe?');
    const absent = (await failure(client.audio.transcriptions.create({ file: await jfk(), model: 'sherpa-onnx-moonshine-tiny-en-int8' }))) as { status: number; code: string; message: string };
    expect(absent).toMatchObject({ status: 400, code: 'model_unavailable' });
    expect(absent.message).toContain('models that can run here: ');
    expect(absent.message).toContain('gigaspeech-zipformer-3.3M-en');
    expect((await alice('GET', '/api/v1/jobs')).body.jobs.length).toBe(before);
  });

  it("reports errors in OpenAI's shape, which the SDK raises", async () => {
    // The SDK's APIPromise is not a plain Promise: bun's `rejects` does not see its rejection.
    const failure = (p: PromiseLike<unknown>) => Promise.resolve(p).then(() => null, (e: unknown) => e);
    const bad = await failure(client.audio.transcriptions.create({ file: await jfk(), model: 'whisper-1', response_format: 'xml' as 'json' }));
    expect(bad).toMatchObject({ status: 400, code: 'invalid_response_format', type: 'invalid_request_error' });
    const notAudio = await failure(client.audio.transcriptions.create({ file: await toFile(Buffer.from('hello'), 'note.mp3'), model: 'whisper-1' }));
    expect(notAudio).toMatchObject({ status: 415, type: 'invalid_request_error' });
    const stranger = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'vox_not_a_key', maxRetries: 0 });
    expect(await failure(stranger.audio.transcriptions.create({ file: await jfk(), model: 'whisper-1' }))).toMatchObject({ status: 401 });
    const raw = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${client.apiKey}` }, body: new FormData() });
    expect(await raw.json()).toEqual({ error: { message: expect.stringContaining('file'), type: 'invalid_request_error', param: null, code: expect.any(String) } });
  });
});
