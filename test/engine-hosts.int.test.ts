// Batched decoding and the child-process engine host (VOXLOG_ENGINE_HOST=process): transcripts the
// same as one-by-one decoding, and a killed or aborting engine process costs only its own streams.
import { afterEach, describe, expect, it } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PREFERRED_DEFAULT_MODEL } from '../models/catalog';
import { AUDIO_DIR, concat, FRAME_BYTES, loadClip, silence, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { eventually, finals, ofType, openSocket, startTestServer, stream, type OpenSocket, type TestServer } from './helpers/server';

const REAL = PREFERRED_DEFAULT_MODEL;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

/** Sends PCM16 in 100 ms frames, a little faster than real time. */
async function send(s: OpenSocket, bytes: Uint8Array<ArrayBuffer>, from = 0, to = bytes.length): Promise<void> {
  for (let at = from; at < to; at += FRAME_BYTES) {
    s.ws.send(bytes.subarray(at, Math.min(to, at + FRAME_BYTES)));
    await Bun.sleep(20);
  }
}

/** How many decoded frames had their decode call to themselves, of all decoded frames (Prometheus histogram). */
async function batchHistogram(s: TestServer, model: string): Promise<{ one: number; all: number }> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const sample = (series: string) => Number(text.split('\n').find((l) => l.startsWith(series) && l.includes(`model="${model}"`) && (series.endsWith('_bucket') ? l.includes('le="1"') : true))?.split(' ').at(-1));
  return { one: sample('voxlog_decode_batch_streams_bucket'), all: sample('voxlog_decode_batch_streams_count') };
}

describe('batched decoding', () => {
  for (const host of ['worker', 'process']) {
    it(`on the ${host} host decodes ready streams together and gives exactly the one-by-one transcripts`, async () => {
      server = await startTestServer({ VOXLOG_ENGINE_HOST: host, VOXLOG_WORKERS_PER_MODEL: '1', VOXLOG_MAX_BATCH: '8', VOXLOG_BATCH_WAIT_MS: '50' });
      const files = readdirSync(join(AUDIO_DIR, 'synthetic-seen')).filter((f) => f.endsWith('.wav')).sort().slice(0, 12);
      const clips = files.map((f) => loadClip('synthetic-seen', f));
      const outs = await Promise.all(clips.map((c) => stream(server!.wsUrl(), c.pcm16)));
      for (const [i, o] of outs.entries()) expect({ clip: files[i], finals: finals(o.messages).map((f) => f.raw_text ?? f.text) }).toEqual({ clip: files[i], finals: await directDecode(STREAMING_MODEL, clips[i]!.pcm16, FRAME_BYTES) });
      const h = await batchHistogram(server, STREAMING_MODEL);
      // Decode calls did take several streams: fewer frames were decoded alone than in all.
      expect(h.all).toBeGreaterThan(0);
      expect(h.one).toBeLessThan(h.all);
      const listed = server.registry.list().find((m) => m.id === STREAMING_MODEL)!;
      expect(listed.batch).toEqual({ size: 8, reason: expect.stringContaining('dynamic batch dimension') });
      if (host === 'process') expect(listed.workers.every((w) => typeof w.pid === 'number' && w.pid !== process.pid)).toBe(true);
    });
  }
});

describe('sessions that open while a model loads', () => {
  it('are spread over all its workers, not all placed on the first one ready', async () => {
    server = await startTestServer({ VOXLOG_WORKERS_PER_MODEL: '2', VOXLOG_ENGINE_HOST: 'process' });
    const sockets = Array.from({ length: 4 }, () => openSocket(server!.wsUrl({ model: REAL })));
    await Promise.all(sockets.map((s) => s.next('ready')));
    expect(server.registry.engine(REAL)!.workers.map((w) => w.streams)).toEqual([2, 2]);
    for (const s of sockets) s.ws.send(JSON.stringify({ type: 'close' }));
    await Promise.all(sockets.map((s) => s.closed));
  });
});

describe('the process engine host', () => {
  const clip = loadClip('librispeech', '1089-134686-0000.wav');
  const bystanderAudio = concat([clip.pcm16, silence(1)]);

  it('survives kill -9 of an engine process mid-stream: its session carries on, a session on another engine notices nothing', async () => {
    server = await startTestServer({ VOXLOG_ENGINE_HOST: 'process', VOXLOG_WORKERS_PER_MODEL: '1' });
    const seen = ['seen_0011_awb.wav', 'seen_0013_rms.wav', 'seen_0017_awb.wav'].map((f) => loadClip('synthetic-seen', f));
    const audio = concat(seen.flatMap((c) => [c.pcm16, silence(2)]));
    await Promise.all([server.registry.acquire(STREAMING_MODEL), server.registry.acquire(REAL)]);
    const victim = openSocket(server.wsUrl());
    const { session_id } = await victim.next('ready');
    const bystander = openSocket(server.wsUrl({ model: REAL }));
    await bystander.next('ready');
    const firstPart = seen[0]!.pcm16.length + 64000;
    const bystanderDone = send(bystander, bystanderAudio);
    await send(victim, audio, 0, firstPart);
    await victim.next('final');

    const pid = server.registry.engine(STREAMING_MODEL)!.pidOf(session_id)!;
    expect(pid).not.toBe(process.pid);
    process.kill(pid, 'SIGKILL');
    const crashed = await victim.next('error', (e) => e.code === 'engine_crashed');
    expect(crashed.message).toContain('SIGKILL');
    await send(victim, audio, firstPart);
    await bystanderDone;
    for (const s of [victim, bystander]) s.ws.send(JSON.stringify({ type: 'close' }));
    expect((await victim.closed).code).toBe(1000);
    expect((await bystander.closed).code).toBe(1000);

    // The victim's later speech was transcribed by the restarted process, segments still in order.
    expect(finals(victim.messages).filter((f) => f.start_ms >= firstPart / 32).length).toBeGreaterThan(0);
    expect(finals(victim.messages).map((f) => f.segment)).toEqual(finals(victim.messages).map((_, i) => i));
    expect(ofType(bystander.messages, 'error')).toEqual([]);
    expect(finals(bystander.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(REAL, bystanderAudio, FRAME_BYTES));

    const log = () => server!.store.readStream(`engine-${STREAMING_MODEL}`);
    const crash = log().find((e) => e.type === 'EngineCrashed');
    expect(crash?.type === 'EngineCrashed' && crash.data).toMatchObject({ streams: 1, message: expect.stringContaining(`engine process ${pid} was killed by SIGKILL`) });
    const restart = await eventually(() => log().find((e) => e.type === 'EngineStarted' && e.data.restarts === 1));
    if (restart.type === 'EngineStarted') console.log(`engine process restart: ${restart.data.down_ms} ms from kill to ready`);
    expect(server.registry.engine(STREAMING_MODEL)!.workers[0]!.pid).not.toBe(pid);
    expect(server.store.readStream(`engine-${REAL}`).filter((e) => e.type === 'EngineCrashed')).toEqual([]);
  });

  it('contains a model that aborts on its first decode: restarted, then failed with its session ended, while another engine streams on', async () => {
    server = await startTestServer({ VOXLOG_ENGINE_HOST: 'process', VOXLOG_WORKERS_PER_MODEL: '1', VOXLOG_FAULT_ABORT_ON_DECODE: STREAMING_MODEL });
    await server.registry.acquire(REAL);
    const bystander = openSocket(server.wsUrl({ model: REAL }));
    await bystander.next('ready');
    const bystanderDone = send(bystander, bystanderAudio);
    const victim = openSocket(server.wsUrl());
    await victim.next('ready');
    // Audio keeps coming while the engine crashes, restarts and crashes again.
    const victimAudio = concat([clip.pcm16, clip.pcm16]);
    void send(victim, victimAudio).catch(() => undefined);
    const failed = await victim.next('error', (e) => e.code === 'engine_failed');
    expect(failed.message).toContain('crashed 3 times in a row before decoding any audio');
    expect(failed.message).toContain('SIGABRT');
    expect((await victim.closed).code).toBe(1011);
    expect(ofType(victim.messages, 'error').filter((e) => e.code === 'engine_crashed').length).toBe(2);

    await bystanderDone;
    bystander.ws.send(JSON.stringify({ type: 'close' }));
    expect((await bystander.closed).code).toBe(1000);
    expect(ofType(bystander.messages, 'error')).toEqual([]);
    expect(finals(bystander.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(REAL, bystanderAudio, FRAME_BYTES));

    const log = server.store.readStream(`engine-${STREAMING_MODEL}`).map((e) => e.type);
    expect(log.filter((t) => t === 'EngineCrashed').length).toBe(2);
    expect(log).toContain('EngineFailed');
    expect(server.registry.list().find((m) => m.id === STREAMING_MODEL)!.status).toBe('failed');
    const closed = await eventually(() => server!.store.readAll(0, 1000, ['SessionClosed']).find((e) => e.type === 'SessionClosed' && e.data.model_id === STREAMING_MODEL));
    expect(closed.type === 'SessionClosed' && closed.data.reason).toBe('engine_failed');
  });
});
