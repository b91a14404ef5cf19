import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wordErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, SHARED_DIR, STREAMING_MODEL } from './helpers/audio';
import { jsonClient } from './helpers/http';
import { longRecording } from './helpers/long-recording';
import { startTestServer, untilJobEvent, waitForListening, type TestServer } from './helpers/server';

const REAL = 'gigaspeech-zipformer-3.3M-en';
const recording = longRecording(1);
const submit = async (url: string, blob: Blob, name: string, fields: Record<string, string> = {}) => {
  const f = new FormData();
  f.append('file', blob, name);
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  const r = await fetch(`${url}/api/v1/jobs`, { method: 'POST', body: f });
  expect(r.status).toBe(202);
  return ((await r.json()) as { id: string }).id;
};
const types = (server: TestServer, id: string) => server.store.readStream(`job-${id}`).map((e) => e.type);

/**
 * Crashes, for real, the engine worker decoding one of the job's chunks during its run `attempt`:
 * the worker exits, its supervisor restarts it, and the run hears `engine_crashed`.
 */
async function crashDuringRun(server: TestServer, id: string, attempt: number): Promise<void> {
  await untilJobEvent(server, id, (e) => e.type === 'JobStarted' && e.data.attempt === attempt);
  // Streams of an earlier run may linger while a crashed worker restarts: only this run's count.
  const earlier = new Set(server.registry.engine(REAL)?.streamIds ?? []);
  for (let i = 0; i < 2000; i++) {
    const engine = server.registry.engine(REAL);
    const chunk = engine?.streamIds.find((s) => s.startsWith('job-chunk-') && !earlier.has(s));
    if (engine && chunk) return engine.crashWorker(chunk);
    await Bun.sleep(5);
  }
  throw new Error(`run ${attempt} of job ${id} never opened a chunk`);
}

describe('passing failures', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '', VOXLOG_JOB_RETRY_MS: '50', VOXLOG_JOB_MAX_ATTEMPTS: '3' })));
  afterAll(() => server.dispose());

  it('retries a job whose engine crashes twice, and it completes with the whole transcript', async () => {
    const id = await submit(server.url, new Blob([recording.wav]), 'crashy.wav');
    await crashDuringRun(server, id, 1);
    await crashDuringRun(server, id, 2);
    const done = await server.jobs.finished(id);
    expect(done!.job).toMatchObject({ status: 'completed', attempts: 3, dead_letter: false, error: null });
    expect(types(server, id).filter((t) => t === 'JobRetried')).toHaveLength(2);
    expect(types(server, id).filter((t) => t === 'JobCompleted')).toHaveLength(1);
    const retried = server.store.readStream(`job-${id}`).filter((e) => e.type === 'JobRetried');
    expect(retried.map((e) => e.type === 'JobRetried' && [e.data.cause, e.data.delay_ms])).toEqual([['transient', 50], ['transient', 100]]);
    expect(wordErrorRate(recording.reference, done!.text!).rate).toBeLessThan(0.12);
    const log = (await jsonClient(server.url)('GET', `/api/v1/jobs/${id}/log`)).body.lines.map((l: { message: string }) => l.message);
    expect(log.filter((m: string) => m.includes('engine failed')).length).toBe(2);
  });

  it('dead-letters a job whose runs all fail, and lists it as such', async () => {
    const id = await submit(server.url, new Blob([recording.wav]), 'doomed.wav');
    for (const attempt of [1, 2, 3]) await crashDuringRun(server, id, attempt);
    const done = await server.jobs.finished(id);
    expect(done!.job).toMatchObject({ status: 'failed', attempts: 3, dead_letter: true, error: { code: 'engine_failed' } });
    expect(types(server, id)).not.toContain('JobCompleted');
    const listed = await jsonClient(server.url)('GET', '/api/v1/jobs?dead_letter=true');
    expect(listed.body.jobs.map((j: { id: string }) => j.id)).toEqual([id]);
    // An admin fixes the cause and restarts it: it gets its attempts back.
    expect((await jsonClient(server.url)('POST', `/api/v1/jobs/${id}/restart`)).status).toBe(202);
    expect((await server.jobs.finished(id))!.job).toMatchObject({ status: 'completed', dead_letter: false });
  });
});

describe('permanent failures', () => {
  let server: TestServer;
  let modelsDir: string;
  beforeAll(async () => {
    // The tiny streaming model with its network cut in half: it can never load.
    modelsDir = mkdtempSync(join(tmpdir(), 'voxlog-broken-'));
    mkdirSync(join(modelsDir, STREAMING_MODEL));
    const shared = (f: string) => join(SHARED_DIR, 'models', STREAMING_MODEL, f);
    writeFileSync(join(modelsDir, STREAMING_MODEL, 'model.onnx'), readFileSync(shared('model.onnx')).subarray(0, 2_000_000));
    copyFileSync(shared('tokens.txt'), join(modelsDir, STREAMING_MODEL, 'tokens.txt'));
    server = await startTestServer({ VOXLOG_MODELS_DIR: modelsDir, VOXLOG_JOB_RETRY_MS: '50' });
  });
  afterAll(async () => {
    await server.dispose();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('fails a job on a model that cannot load once, with the reason, and does not retry it', async () => {
    const id = await submit(server.url, Bun.file(join(AUDIO_DIR, 'jfk', 'jfk.wav')), 'jfk.wav', { model: STREAMING_MODEL });
    const done = await server.jobs.finished(id);
    expect(done!.job).toMatchObject({ status: 'failed', attempts: 1, dead_letter: false, error: { code: 'model_load_failed' } });
    expect(done!.job.error!.message).toContain('Protobuf parsing failed');
    expect(types(server, id)).toEqual(['JobSubmitted', 'JobClaimed', 'JobStarted', 'JobFailed']);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe('a server killed mid-job', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-killed-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs the job again after the restart, and it completes once', async () => {
    const root = join(import.meta.dir, '..');
    const env = { ...process.env, PORT: '0', VOXLOG_DATA_DIR: dataDir, VOXLOG_DEFAULT_MODEL: REAL, VOXLOG_MODELS_DIR: join(dataDir, 'models') };
    const proc = Bun.spawn(['bun', 'src/main.ts'], { cwd: root, env, stdout: 'pipe', stderr: 'pipe' });
    const { url } = await waitForListening(proc);
    const id = await submit(url, new Blob([recording.wav]), 'interrupted.wav');
    for (let i = 0; i < 2000; i++) {
      const job = (await (await fetch(`${url}/api/v1/jobs/${id}`)).json()) as { status: string; chunks_done: number };
      if (job.status === 'running' && job.chunks_done > 0) break;
      await Bun.sleep(10);
    }
    proc.kill('SIGKILL');
    await proc.exited;
    const server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' }, dataDir);
    try {
      const done = await server.jobs.finished(id);
      expect(done!.job).toMatchObject({ status: 'completed', attempts: 2 });
      const events = types(server, id);
      expect(events.filter((t) => t === 'JobCompleted')).toHaveLength(1);
      const retried = server.store.readStream(`job-${id}`).find((e) => e.type === 'JobRetried');
      expect(retried?.type === 'JobRetried' && retried.data.cause).toBe('interrupted');
      expect(wordErrorRate(recording.reference, done!.text!).rate).toBeLessThan(0.12);
    } finally {
      await server.stop();
    }
  });
});
