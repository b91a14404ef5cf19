import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, FRAME_BYTES, loadClip, SHARED_DIR, silence, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { eventually, finals, ofType, openSocket, startTestServer, stream, type TestServer } from './helpers/server';

describe('a worker that dies mid-stream', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ VOXLOG_WORKERS_PER_MODEL: '2' });
  });
  afterAll(() => server.dispose());

  it('is restarted; its sessions get an error and carry on, sessions on the other worker notice nothing', async () => {
    const clips = ['seen_0011_awb.wav', 'seen_0013_rms.wav', 'seen_0017_awb.wav'].map((f) => loadClip('synthetic-seen', f));
    const audio = concat(clips.flatMap((c) => [c.pcm16, silence(2)]));
    const bystanderAudio = concat([clips[1]!.pcm16, silence(2), clips[2]!.pcm16]);

    const engine = await server.registry.acquire(STREAMING_MODEL);
    await eventually(() => engine.workers.every((w) => w.status === 'ready'));
    const victim = openSocket(server.wsUrl());
    const ready = await victim.next('ready');
    const bystander = openSocket(server.wsUrl());
    await bystander.next('ready');
    // Both streams are placed on the least loaded worker: one each.
    expect(server.registry.engine(STREAMING_MODEL)!.workers.map((w) => w.streams)).toEqual([1, 1]);

    const sendAll = async (s: typeof victim, bytes: Uint8Array<ArrayBuffer>, from: number, to: number) => {
      for (let at = from; at < to; at += FRAME_BYTES) {
        s.ws.send(bytes.subarray(at, Math.min(to, at + FRAME_BYTES)));
        if ((at / FRAME_BYTES) % 10 === 0) await Bun.sleep(5);
      }
    };
    const firstPart = clips[0]!.pcm16.length + 64000;
    await Promise.all([sendAll(victim, audio, 0, firstPart), sendAll(bystander, bystanderAudio, 0, bystanderAudio.length / 2)]);
    await victim.next('final');
    server.registry.engine(STREAMING_MODEL)!.crashWorker(ready.session_id);
    const crashed = await victim.next('error', (e) => e.code === 'engine_crashed');
    expect(crashed.message).toContain('restarted');
    await Promise.all([sendAll(victim, audio, firstPart, audio.length), sendAll(bystander, bystanderAudio, bystanderAudio.length / 2, bystanderAudio.length)]);
    victim.ws.send(JSON.stringify({ type: 'close' }));
    bystander.ws.send(JSON.stringify({ type: 'close' }));
    expect((await victim.closed).code).toBe(1000);
    expect((await bystander.closed).code).toBe(1000);

    // The victim's later speech was still transcribed, on the restarted worker.
    const after = finals(victim.messages).filter((f) => f.start_ms >= firstPart / 32);
    expect(after.length).toBeGreaterThan(0);
    expect(finals(victim.messages).map((f) => f.segment)).toEqual(finals(victim.messages).map((_, i) => i));
    expect(ofType(bystander.messages, 'error')).toEqual([]);
    expect(finals(bystander.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, bystanderAudio, FRAME_BYTES));

    const engineLog = server.store.readStream(`engine-${STREAMING_MODEL}`);
    const crash = engineLog.find((e) => e.type === 'EngineCrashed');
    expect(crash?.type === 'EngineCrashed' && crash.data.streams).toBe(1);
    const restart = await eventually(() => server.store.readStream(`engine-${STREAMING_MODEL}`).find((e) => e.type === 'EngineStarted' && e.data.restarts === 1));
    console.log(`worker restart: ${restart.type === 'EngineStarted' ? `${restart.data.down_ms} ms from crash to ready (load ${restart.data.load_ms} ms)` : ''}`);
  });
});

describe('models that would crash native code', () => {
  let server: TestServer;
  let modelsDir: string;
  beforeAll(async () => {
    modelsDir = mkdtempSync(join(tmpdir(), 'voxlog-bad-models-'));
    const shared = (id: string, f: string) => join(SHARED_DIR, 'models', id, f);
    // Truncated: a valid ONNX header, half a file.
    mkdirSync(join(modelsDir, STREAMING_MODEL));
    writeFileSync(join(modelsDir, STREAMING_MODEL, 'model.onnx'), readFileSync(shared(STREAMING_MODEL, 'model.onnx')).subarray(0, 2_000_000));
    copyFileSync(shared(STREAMING_MODEL, 'tokens.txt'), join(modelsDir, STREAMING_MODEL, 'tokens.txt'));
    // Wrong kind: the streaming network where the offline one belongs.
    mkdirSync(join(modelsDir, 'tiny-offline-bigru-ctc-en'));
    copyFileSync(shared(STREAMING_MODEL, 'model.onnx'), join(modelsDir, 'tiny-offline-bigru-ctc-en', 'model.onnx'));
    copyFileSync(shared('tiny-offline-bigru-ctc-en', 'tokens.txt'), join(modelsDir, 'tiny-offline-bigru-ctc-en', 'tokens.txt'));
    server = await startTestServer({ VOXLOG_MODELS_DIR: modelsDir });
  });
  afterAll(async () => {
    await server.dispose();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  for (const [model, what, expected] of [
    [STREAMING_MODEL, 'truncated', 'Protobuf parsing failed'],
    ['tiny-offline-bigru-ctc-en', 'of the wrong kind', 'SIGABRT'],
  ] as const) {
    it(`refuses a model file that is ${what} with a clear error, lists it as failed, and keeps serving`, async () => {
      const s = openSocket(server.wsUrl({ model }));
      const err = await s.next('error');
      expect(err.code).toBe('model_load_failed');
      expect(err.message).toContain(expected);
      expect((await s.closed).code).toBe(1011);
      const models = (await (await fetch(`${server.url}/api/v1/models`)).json()) as { models: { id: string; status: string; error: string }[] };
      const listed = models.models.find((m) => m.id === model)!;
      expect(listed.status).toBe('failed');
      expect(listed.error).toContain(expected);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const failed = server.store.readStream(`engine-${model}`).find((e) => e.type === 'EngineFailed');
      expect(failed).toBeDefined();
    });
  }
});

describe('token tables that do not fit the model (real model, real speech in the probe)', () => {
  const REAL = 'gigaspeech-zipformer-3.3M-en';
  const variants: [string, (lines: string[]) => string[], string][] = [
    ['shorter than its vocabulary', (lines) => lines.slice(0, 50), 'has 50 tokens but the model scores 500'],
    // As long as the vocabulary, so only decoding speech finds it: silence alone decodes without a lookup.
    ['numbered past the vocabulary', (lines) => lines.map((l) => l.replace(/ (\d+)$/, (_, id) => ` ${Number(id) + 1000}`)), 'SIGABRT'],
  ];
  for (const [what, edit, expected] of variants) {
    it(`refuses a tokens.txt ${what} before any session can decode with it`, async () => {
      const modelsDir = mkdtempSync(join(tmpdir(), 'voxlog-tokens-'));
      const dir = join(modelsDir, REAL);
      mkdirSync(dir);
      for (const f of ['encoder.int8.onnx', 'decoder.onnx', 'joiner.int8.onnx']) copyFileSync(join(SHARED_DIR, 'models', REAL, f), join(dir, f));
      const lines = readFileSync(join(SHARED_DIR, 'models', REAL, 'tokens.txt'), 'utf8').trim().split('\n');
      writeFileSync(join(dir, 'tokens.txt'), `${edit(lines).join('\n')}\n`);
      const server = await startTestServer({ VOXLOG_MODELS_DIR: modelsDir });
      try {
        const s = openSocket(server.wsUrl({ model: REAL }));
        const err = await s.next('error');
        expect(err.code).toBe('model_load_failed');
        expect(err.message).toContain(expected);
        expect((await s.closed).code).toBe(1011);
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
        const after = await stream(server.wsUrl(), loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16);
        expect(after.closeCode).toBe(1000);
      } finally {
        await server.dispose();
        rmSync(modelsDir, { recursive: true, force: true });
      }
    });
  }
});

describe('idle engines', () => {
  it('are unloaded after the idle TTL and reloaded on the next session', async () => {
    const server = await startTestServer({ VOXLOG_ENGINE_IDLE_MS: '1000', VOXLOG_WORKERS_PER_MODEL: '1' });
    try {
      const clip = loadClip('synthetic-seen', 'seen_0018_kal16.wav');
      await stream(server.wsUrl(), clip.pcm16);
      expect(server.registry.engine(STREAMING_MODEL)).toBeDefined();
      await eventually(() => server.registry.engine(STREAMING_MODEL) === undefined, 10_000);
      const again = await stream(server.wsUrl(), clip.pcm16);
      expect(finals(again.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, clip.pcm16, FRAME_BYTES));
      expect(server.store.readStream(`engine-${STREAMING_MODEL}`).filter((e) => e.type === 'EngineStarted').length).toBe(2);
    } finally {
      await server.dispose();
    }
  });

  it('make room under the loaded-model cap, and a busy cap refuses with 1013', async () => {
    const server = await startTestServer({ VOXLOG_MAX_LOADED_MODELS: '1', VOXLOG_WORKERS_PER_MODEL: '1' });
    try {
      const busy = openSocket(server.wsUrl());
      await busy.next('ready');
      const refused = openSocket(server.wsUrl({ model: 'tiny-offline-bigru-ctc-en' }));
      expect((await refused.next('error')).code).toBe('too_many_models');
      expect((await refused.closed).code).toBe(1013);
      busy.ws.send(JSON.stringify({ type: 'close' }));
      await busy.closed;
      await eventually(() => server.registry.engine(STREAMING_MODEL)?.streamCount === 0);
      const out = await stream(server.wsUrl({ model: 'tiny-offline-bigru-ctc-en' }), loadClip('synthetic-seen', 'seen_0019_rms.wav').pcm16);
      expect(out.closeCode).toBe(1000);
      expect(server.registry.engine(STREAMING_MODEL)).toBeUndefined();
    } finally {
      await server.dispose();
    }
  });
});

describe('stopping engines', () => {
  it('never aborts the process when a worker is stopped while its model is loading', async () => {
    // Terminating a Worker inside sherpa-onnx's model load aborted the whole process (SIGABRT).
    const p = Bun.spawn(['bun', join(import.meta.dir, 'helpers', 'stop-while-loading.ts'), '5'], { stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect({ code, signal: p.signalCode, tail: err.split('\n').slice(-5).join('\n') }).toEqual({ code: 0, signal: null, tail: expect.any(String) });
    expect(out.match(/stopped while \S+ was loading/g)?.length).toBe(5);
    expect(out).toContain('survived');
  });
});
