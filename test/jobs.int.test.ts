import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSync } from 'subtitle';
import { WebVTTParser } from 'webvtt-parser';
import { wordErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, pcm16Wav, silence } from './helpers/audio';
import { jsonClient } from './helpers/http';
import { longRecording } from './helpers/long-recording';
import { startTestServer, untilJobEvent, type TestServer } from './helpers/server';

/** WER of the real model through the job path on the long recording: measured 0.075-0.082 here; the bound leaves margin. */
const WER_BOUND = 0.12;
const JFK = Bun.file(join(AUDIO_DIR, 'jfk', 'jfk.wav'));

const form = (file: Blob, name: string, fields: Record<string, string> = {}) => {
  const f = new FormData();
  f.append('file', file, name);
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
};

/** The SSE feed of a job, read to its end: every message, in order. */
async function followSse(url: string): Promise<{ type: string; [k: string]: unknown }[]> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice(6)));
}

describe('batch jobs with the real model', () => {
  let server: TestServer;
  let call: ReturnType<typeof jsonClient>;
  const recording = longRecording(1);
  let jobId: string;

  beforeAll(async () => {
    server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' });
    call = jsonClient(server.url);
    const submitted = await call('POST', '/api/v1/jobs', form(new Blob([recording.wav]), 'talk.wav', { name: 'a talk', priority: 'high' }));
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ name: 'a talk', file_name: 'talk.wav', priority: 'high', model_id: 'gigaspeech-zipformer-3.3M-en' });
    jobId = submitted.body.id;
  });
  afterAll(() => server.dispose());

  it('transcribes a long real recording cut into chunks, within the measured error rate', async () => {
    const events = await followSse(`${server.url}/api/v1/jobs/${jobId}/events`);
    expect(events.at(-1)).toEqual({ type: 'end', status: 'completed' });
    const lines = events.filter((e) => e.type === 'log').map((e) => e.message as string);
    expect(lines[0]).toStartWith('submitted talk.wav (WAV 16-bit PCM, mono, 16000 Hz, 68.5 s)');
    expect(lines[1]).toStartWith('claimed by node ');
    expect(lines[2]).toStartWith('started attempt 1');
    expect(lines.some((l) => /^chunk \d+ of \d+/.test(l))).toBe(true);
    expect(lines.at(-1)).toStartWith('done:');
    const progress = events.filter((e) => e.type === 'progress').map((e) => e.progress as number);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const { body: job } = await call('GET', `/api/v1/jobs/${jobId}`);
    expect(job).toMatchObject({ status: 'completed', progress: 1, attempts: 1, dead_letter: false, error: null, duration_ms: Math.round(recording.seconds * 1000) });
    expect(job.chunks_found).toBeGreaterThanOrEqual(4);
    expect(job.rtf).toBeGreaterThan(0);
    const wer = wordErrorRate(recording.reference, job.text).rate;
    console.log(`job WER on ${recording.seconds} s of real speech in ${job.chunks_found} chunks: ${wer.toFixed(3)}`);
    expect(wer).toBeLessThan(WER_BOUND);
  });

  it("puts every segment and word on the file's own timeline, in order", async () => {
    await server.jobs.finished(jobId);
    const { body } = await call('GET', `/api/v1/jobs/${jobId}/segments`);
    const words = body.segments.flatMap((s: { words: { start_ms: number; end_ms: number }[] }) => s.words);
    expect(words.length).toBeGreaterThan(100);
    words.forEach((w: { start_ms: number; end_ms: number }, i: number) => {
      expect(w.end_ms).toBeGreaterThanOrEqual(w.start_ms);
      if (i > 0) expect(w.start_ms).toBeGreaterThanOrEqual(words[i - 1].start_ms);
    });
    // Every clip's speech is heard where the clip is in the file (chunks decoded apart, put back in place).
    for (const span of recording.spans) expect(words.some((w: { start_ms: number }) => w.start_ms >= span.startMs - 300 && w.start_ms <= span.startMs + 2000)).toBe(true);
  });

  it('serves subtitles that real parsers accept, with lines within the asked limits', async () => {
    await server.jobs.finished(jobId);
    const srt = await fetch(`${server.url}/api/v1/jobs/${jobId}/download?format=srt&max_line_chars=32&max_lines=1`);
    expect(srt.headers.get('content-disposition')).toBe('attachment; filename="talk.srt"');
    const cues = parseSync(await srt.text()).filter((n) => n.type === 'cue').map((n) => n.data as { start: number; end: number; text: string });
    expect(cues.length).toBeGreaterThan(10);
    for (const c of cues) {
      expect(c.text.split('\n')).toHaveLength(1);
      expect(c.text.length <= 32 || !c.text.includes(' ')).toBe(true);
      expect(c.end).toBeGreaterThan(c.start);
    }
    const vtt = await (await fetch(`${server.url}/api/v1/jobs/${jobId}/download?format=vtt`)).text();
    const parsed = new WebVTTParser().parse(vtt, 'metadata');
    expect(parsed.errors).toEqual([]);
    expect(parsed.cues.length).toBeGreaterThan(5);
    const json = await (await fetch(`${server.url}/api/v1/jobs/${jobId}/download?format=json`)).json();
    expect(json.segments.length).toBeGreaterThan(3);
    expect(json.text.split(' ').length).toBeGreaterThan(100);
    const verbose = await (await fetch(`${server.url}/api/v1/jobs/${jobId}/download?format=verbose_json`)).json();
    expect(verbose).toMatchObject({ task: 'transcribe', text: json.text });
    expect(verbose.words.length).toBe(json.segments.flatMap((s: { words: unknown[] }) => s.words).length);
    const txt = await (await fetch(`${server.url}/api/v1/jobs/${jobId}/download?format=txt`)).text();
    expect(txt.trim().split('\n')).toHaveLength(json.segments.length);
  });

  it('finds jobs by transcript text, file name and id, and lists by status', async () => {
    await server.jobs.finished(jobId);
    for (const q of ['fellow americans', 'talk.wav', jobId]) expect((await call('GET', `/api/v1/jobs?q=${encodeURIComponent(q)}`)).body.jobs.map((j: { id: string }) => j.id)).toContain(jobId);
    expect((await call('GET', '/api/v1/jobs?q=zebra%25crossing')).body.total).toBe(0);
    expect((await call('GET', '/api/v1/jobs?status=completed')).body.jobs.every((j: { status: string }) => j.status === 'completed')).toBe(true);
    expect((await call('GET', '/api/v1/jobs?status=nope')).status).toBe(400);
    expect((await call('GET', `/api/v1/jobs/${jobId}/download?format=docx`)).status).toBe(400);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^voxlog_jobs\{status="completed"\} [1-9]/m);
  });

  it('streams the same feed over a WebSocket', async () => {
    await server.jobs.finished(jobId);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/jobs/${jobId}`);
    const messages: Record<string, unknown>[] = [];
    ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
    const closed = await new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code)));
    expect(closed).toBe(1000);
    expect(messages[0]!.type).toBe('job');
    expect(messages.at(-1)).toEqual({ type: 'end', status: 'completed' });
    expect(messages.filter((m) => m.type === 'log').length).toBeGreaterThanOrEqual(4);
  });

  it('refuses what is not audio with the reason, and queues nothing', async () => {
    const before = (await call('GET', '/api/v1/jobs')).body.total;
    const wav = new Uint8Array(await JFK.arrayBuffer());
    const cases: [string, Blob, number, string][] = [
      ['empty.wav', new Blob([]), 415, 'empty'],
      ['cut.wav', new Blob([wav.subarray(0, 30)]), 415, 'WAV'],
      ['song.mp3', new Blob([crypto.getRandomValues(new Uint8Array(4096))]), 415, 'not an audio file'],
    ];
    for (const [name, blob, status, reason] of cases) {
      const r = await call('POST', '/api/v1/jobs', form(blob, name));
      expect(r.status).toBe(status);
      expect(r.body.error.message).toContain(reason);
      expect(r.body.error.message).not.toContain(server.dataDir);
    }
    const noFile = new FormData();
    noFile.append('model', 'x');
    expect((await call('POST', '/api/v1/jobs', noFile)).body.error.code).toBe('file_missing');
    expect((await call('POST', '/api/v1/jobs', { file: 'jfk.wav' })).body.error.code).toBe('multipart_required');
    const unknown = await call('POST', '/api/v1/jobs', form(JFK, 'jfk.wav', { model: 'tiny-streaming-lstm-ctc-em' }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('did you mean tiny-streaming-lstm-ctc-en?');
    // A catalog model that is not on disk is refused now, not accepted and failed later.
    const absent = await call('POST', '/api/v1/jobs', form(JFK, 'jfk.wav', { model: 'sherpa-onnx-streaming-zipformer-en-20M-2023-02-17' }));
    expect(absent.status).toBe(400);
    expect(absent.body.error.code).toBe('model_unavailable');
    expect(absent.body.error.message).toContain('models that can run here: ');
    expect(absent.body.error.message).toContain('models pull sherpa-onnx-streaming-zipformer-en-20M-2023-02-17');
    expect((await call('POST', '/api/v1/jobs', form(JFK, 'jfk.wav', { priority: 'urgent' }))).status).toBe(400);
    expect((await call('GET', '/api/v1/jobs')).body.total).toBe(before);
    expect(readdirSync(join(server.dataDir, 'jobs', '.incoming'))).toEqual([]);
  });

  it('completes ten minutes of silence with no segments', async () => {
    const r = await call('POST', '/api/v1/jobs', form(new Blob([pcm16Wav(silence(600))]), 'quiet.wav'));
    const done = await server.jobs.finished(r.body.id);
    expect(done!.job).toMatchObject({ status: 'completed', segment_count: 0, audio_ms: 600_000 });
    // Silence is decoded too (the VAD can miss quiet speech): all of it, in chunks, and the model writes nothing into it.
    expect(done!.job.chunks_found).toBeGreaterThanOrEqual(20);
    expect(done!.text).toBe('');
    expect(await (await fetch(`${server.url}/api/v1/jobs/${r.body.id}/download?format=srt`)).text()).toBe('');
  });

  it('runs by priority and then submission order, at the concurrency an admin sets at runtime', async () => {
    expect((await call('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 0 })).body).toEqual({ max_concurrent_jobs: 0 });
    const ids: string[] = [];
    for (const priority of ['low', 'normal', 'high', 'normal']) ids.push((await call('POST', '/api/v1/jobs', form(JFK, `${priority}.wav`, { priority }))).body.id);
    for (const id of ids) expect((await call('GET', `/api/v1/jobs/${id}`)).body.status).toBe('queued');
    expect((await call('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 1 })).status).toBe(200);
    await Promise.all(ids.map((id) => server.jobs.finished(id)));
    const startedAt = (id: string) => server.store.readStream(`job-${id}`).find((e) => e.type === 'JobStarted')!.position;
    expect([...ids].sort((a, b) => startedAt(a) - startedAt(b))).toEqual([ids[2]!, ids[1]!, ids[3]!, ids[0]!]);
    expect((await call('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 99 })).status).toBe(400);
    await call('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 2 });
  });

  it('refuses to restart a running job, and it completes once', async () => {
    const r = await call('POST', '/api/v1/jobs', form(new Blob([recording.wav]), 'again.wav'));
    await untilJobEvent(server, r.body.id, (e) => e.type === 'JobStarted');
    const restart = await call('POST', `/api/v1/jobs/${r.body.id}/restart`);
    expect(restart.status).toBe(409);
    expect(restart.body.error.code).toBe('job_active');
    expect((await call('GET', `/api/v1/jobs/${r.body.id}/download?format=txt`)).status).toBe(409);
    await server.jobs.finished(r.body.id);
    expect(server.store.readStream(`job-${r.body.id}`).filter((e) => e.type === 'JobCompleted')).toHaveLength(1);
    // Finished, it runs again from its upload.
    expect((await call('POST', `/api/v1/jobs/${r.body.id}/restart`)).status).toBe(202);
    expect((await server.jobs.finished(r.body.id))!.job).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('settles delete and restart racing on one job: deleted, files gone, nothing after the deletion', async () => {
    const r = await call('POST', '/api/v1/jobs', form(JFK, 'race.wav'));
    await server.jobs.finished(r.body.id);
    const [del, restart] = await Promise.all([call('DELETE', `/api/v1/jobs/${r.body.id}`), call('POST', `/api/v1/jobs/${r.body.id}/restart`)]);
    expect(del.status).toBe(204);
    expect([202, 404]).toContain(restart.status);
    await Bun.sleep(300);
    expect((await call('GET', `/api/v1/jobs/${r.body.id}`)).status).toBe(404);
    expect(existsSync(join(server.dataDir, 'jobs', r.body.id))).toBe(false);
    expect(server.store.readStream(`job-${r.body.id}`).at(-1)!.type).toBe('JobDeleted');
  });

  it('cancels a running job when it is deleted', async () => {
    const r = await call('POST', '/api/v1/jobs', form(new Blob([recording.wav]), 'cancel.wav'));
    await untilJobEvent(server, r.body.id, (e) => e.type === 'JobProgressed');
    expect((await call('DELETE', `/api/v1/jobs/${r.body.id}`)).status).toBe(204);
    await Bun.sleep(300);
    const types = server.store.readStream(`job-${r.body.id}`).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['JobCancelled', 'JobDeleted']);
    expect(types).not.toContain('JobCompleted');
    expect(existsSync(join(server.dataDir, 'jobs', r.body.id))).toBe(false);
  });

  it('expires uploads and results after the retention an admin sets', async () => {
    const r = await call('POST', '/api/v1/jobs', form(JFK, 'old.wav'));
    await server.jobs.finished(r.body.id);
    // Until it expires, the upload is served for a player as it came.
    const audio = await fetch(`${server.url}/api/v1/jobs/${r.body.id}/audio`);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/wav');
    expect((await audio.arrayBuffer()).byteLength).toBe(JFK.size);
    expect((await call('PUT', '/api/v1/admin/retention', { cleanup_days: 1 })).body).toEqual({ cleanup_days: 1 });
    expect(await server.jobs.sweep(Date.now() + 86_400_000 / 2)).toBe(0);
    expect(await server.jobs.sweep(Date.now() + 2 * 86_400_000)).toBeGreaterThan(0);
    expect((await call('GET', `/api/v1/jobs/${r.body.id}`)).body).toMatchObject({ status: 'expired', text: null });
    const gone = await call('GET', `/api/v1/jobs/${r.body.id}/download?format=srt`);
    expect(gone.status).toBe(410);
    expect((await fetch(`${server.url}/api/v1/jobs/${r.body.id}/audio`)).status).toBe(410);
    expect(existsSync(join(server.dataDir, 'jobs', r.body.id))).toBe(false);
    expect((await call('GET', '/api/v1/admin/retention')).body).toEqual({ cleanup_days: 1 });
  });
});

describe('settings an admin changes at runtime', () => {
  it('outlive a restart (they are events in the log)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-settings-'));
    try {
      const first = await startTestServer({ VOXLOG_MAX_CONCURRENT_JOBS: '2', VOXLOG_CLEANUP_DAYS: '30' }, dataDir);
      await jsonClient(first.url)('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 5 });
      await jsonClient(first.url)('PUT', '/api/v1/admin/retention', { cleanup_days: 7 });
      await first.stop();
      const again = await startTestServer({ VOXLOG_MAX_CONCURRENT_JOBS: '2', VOXLOG_CLEANUP_DAYS: '30' }, dataDir);
      const call = jsonClient(again.url);
      expect((await call('GET', '/api/v1/admin/concurrency')).body).toEqual({ max_concurrent_jobs: 5 });
      expect((await call('GET', '/api/v1/admin/retention')).body).toEqual({ cleanup_days: 7 });
      await again.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('uploads over the limit', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ VOXLOG_MAX_UPLOAD_BYTES: '200000' })));
  afterAll(() => server.dispose());

  it('refuses one that declares its length with 413 before reading it, and one that does not as soon as it passes the limit', async () => {
    const big = form(new Blob([new Uint8Array(400_000)]), 'big.wav');
    const declared = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', body: big });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error.message).toContain('VOXLOG_MAX_UPLOAD_BYTES');
    const encoded = new Response(big);
    const type = encoded.headers.get('content-type')!;
    const body = await encoded.arrayBuffer();
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < body.byteLength; at += 65_536) c.enqueue(new Uint8Array(body.slice(at, at + 65_536)));
        c.close();
      },
    });
    const streamed = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', body: chunked, headers: { 'content-type': type } });
    expect(streamed.status).toBe(413);
    expect(readdirSync(join(server.dataDir, 'jobs', '.incoming'))).toEqual([]);
    expect((await (await fetch(`${server.url}/api/v1/jobs`)).json()).total).toBe(0);
  });
});
