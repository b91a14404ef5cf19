import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIFTED_LIMITS } from '../src/config';
import { streamAudio } from '../src/client/stream-client';
import { concat, FRAME_BYTES, loadClip, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { finals, ofType, openSocket, startServerProcess, startTestServer, type ServerProcess } from './helpers/server';

/** The shipped defaults: every lifted limit unset again. */
const DEFAULTS = Object.fromEntries(Object.keys(LIFTED_LIMITS).map((k) => [k, '']));
const clip = () => loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
/** Bun's client WebSocket can stop reading (and be cut); the DOM type it is declared with cannot. */
const bunSocket = (ws: WebSocket) => ws as unknown as { pause(): void; terminate(): void };
const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

describe('clients flooding audio faster than real time without reading (server in its own process, default limits)', () => {
  let server: ServerProcess;
  let url: string;
  beforeAll(async () => {
    server = await startServerProcess({ ...DEFAULTS, VOXLOG_DEFAULT_MODEL: STREAMING_MODEL });
    url = server.url.replace(/^http/, 'ws');
  });
  afterAll(() => server.stop());

  it('one closed for a limit while it floods is not read on: the connection is destroyed, not left to a close handshake', async () => {
    // An intake budget it never reaches: the flood is read as fast as the engine takes it, so the frame
    // over the limit is read and ends the session while the client is still sending.
    const unpaced = await startServerProcess({ ...DEFAULTS, VOXLOG_DEFAULT_MODEL: STREAMING_MODEL, VOXLOG_MAX_INTAKE_RATE: '100000' });
    const ws = new WebSocket(`${unpaced.url.replace(/^http/, 'ws')}/ws/transcribe`);
    await new Promise((r) => (ws.onopen = r));
    bunSocket(ws).pause(); // never reads: it will not see the close either
    const frame = new Uint8Array(32 * 1024);
    const push = async (ms: number) => {
      let sent = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < ms) {
        if (ws.bufferedAmount < 4 * 1024 * 1024) (ws.send(frame), (sent += frame.length));
        else await Bun.sleep(1);
        if (sent % (1024 * 1024) === 0) await Bun.sleep(0);
      }
      return sent;
    };
    await push(1_000);
    ws.send(new Uint8Array(512 * 1024)); // over VOXLOG_MAX_FRAME_BYTES: the session closes for frame_too_large
    const after = await push(4_000);
    bunSocket(ws).terminate();
    await unpaced.stop();
    console.log(`closed flooder: ${mb(after)} went into its socket in the 4 s after the frame that closed it`);
    // What the kernel buffers on both sides holds (tens of MB), not the gigabytes a read-on socket takes.
    expect(after).toBeLessThan(100e6);
  }, 30_000);

  // Last: it stops the server to read its log.
  it('are paced to their budget by TCP backpressure: the server reads no more than 4x real time, memory stays bounded, a good session beside them gets its whole transcript', async () => {
    const wsUrl = `${url}/ws/transcribe`;
    await streamAudio({ url: wsUrl, audio: clip(), frameBytes: FRAME_BYTES }); // loads the model first
    const before = rssOf(server.proc.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.proc.pid))), 50);
    const flood = async () => {
      const ws = new WebSocket(wsUrl);
      await new Promise((r) => (ws.onopen = r));
      bunSocket(ws).pause(); // never reads a byte the server sends
      const frame = new Uint8Array(64 * 1024).map((_, i) => (i * 37) & 0xff);
      const t0 = performance.now();
      let sent = 0;
      while (ws.readyState === WebSocket.OPEN && performance.now() - t0 < 5_000) {
        if (ws.bufferedAmount < 4 * 1024 * 1024) (ws.send(frame), (sent += frame.length));
        else await Bun.sleep(1);
        if (sent % (1024 * 1024) === 0) await Bun.sleep(0);
      }
      return { sent, ms: performance.now() - t0, ws };
    };
    const floods = [flood(), flood()];
    // A good session at a client's honest pace, beside the two floods.
    const good = await streamAudio({ url: wsUrl, audio: clip(), frameBytes: FRAME_BYTES, paceBytesPerSecond: 3 * 32000 });
    const done = await Promise.all(floods);
    clearInterval(sampler);
    // A paused socket is not read, so the server learns that a flooder hung up only once it has taken
    // in what the flooder's kernel still holds: stopping the server (SIGTERM) ends their sessions now.
    server.proc.kill();
    await server.proc.exited;
    for (const f of done) bunSocket(f.ws).terminate();
    const db = new Database(join(server.dataDir, 'voxlog.sqlite'), { readonly: true });
    const ended = db.query<{ data: string }, []>("SELECT data FROM events WHERE type = 'SessionClosed'").all().map((r) => JSON.parse(r.data) as { reason: string; audio_ms: number; duration_ms: number });
    db.close();
    const flooded = ended.filter((c) => c.reason === 'server_shutdown');
    expect(flooded).toHaveLength(2);
    const sent = done.reduce((n, f) => n + f.sent, 0);
    console.log(`flood: 2 non-reading clients pushed ${mb(sent)} into their sockets in 5 s; the server took in ${flooded.map((c) => `${(c.audio_ms / 1000).toFixed(1)} s of audio in ${(c.duration_ms / 1000).toFixed(1)} s`).join(' and ')}; RSS ${mb(before)} before, peak ${mb(peak)} (+${mb(peak - before)})`);
    // Every millisecond a session took in passed its budget: the 20 s burst, then 4x real time for as long as it lived.
    for (const c of flooded) expect(c.audio_ms).toBeLessThanOrEqual(20_000 + 4 * c.duration_ms + 100);
    expect(peak - before).toBeLessThan(200e6);
    expect(good.closeCode).toBe(1000);
    expect(finals(good.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, clip(), FRAME_BYTES));
  }, 60_000);
});

describe('per-client limits (in-process server, small limits)', () => {
  it('paces a client sending far faster than its intake budget: nothing refused, the transcript equals a real-time sender\'s', async () => {
    // A 20x budget with a 1 s window (a 20 s burst): 40 clips, about 2 minutes of audio, sent at full speed.
    const server = await startTestServer({ ...DEFAULTS, VOXLOG_MAX_INTAKE_RATE: '20', VOXLOG_INTAKE_WINDOW_MS: '1000' });
    try {
      const long = concat(Array.from({ length: 40 }, clip));
      const out = await streamAudio({ url: server.wsUrl(), audio: long, frameBytes: FRAME_BYTES });
      expect(out.closeCode).toBe(1000);
      // Nothing refused; a loaded machine may also pause it for the engine (engine_overloaded), which drops nothing either.
      expect(ofType(out.messages, 'error').filter((e) => e.code !== 'engine_overloaded')).toEqual([]);
      expect(ofType(out.messages, 'closed')[0]!.audio_ms).toBe(Math.round(long.length / 32));
      expect(finals(out.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, long, FRAME_BYTES));
      expect(await server.metric('voxlog_rejected_total{reason="intake_paced"}')).toBeGreaterThan(0);
    } finally {
      await server.dispose();
    }
  });

  it('caps sockets per client address with 429 before the upgrade, and frees the slot when one closes', async () => {
    const server = await startTestServer({ ...DEFAULTS, VOXLOG_MAX_SOCKETS_PER_IP: '3' });
    try {
      const open = [0, 1, 2].map(() => openSocket(server.wsUrl()));
      await Promise.all(open.map((s) => s.next('ready')));
      const res = await fetch(server.wsUrl().replace(/^ws/, 'http'), { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      expect(res.status).toBe(429);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_connections');
      open[0]!.ws.close();
      await open[0]!.closed;
      const again = openSocket(server.wsUrl());
      await again.next('ready');
      for (const s of [...open.slice(1), again]) s.ws.close();
    } finally {
      await server.dispose();
    }
  });

  it('paces a flood of control messages: each applied in order behind the audio before it, none refused', async () => {
    const server = await startTestServer({ ...DEFAULTS, VOXLOG_MAX_MESSAGES_PER_SECOND: '100' });
    try {
      const s = openSocket(server.wsUrl());
      await s.next('ready');
      const audio = clip();
      for (let at = 0; at < audio.length; at += FRAME_BYTES) s.ws.send(audio.subarray(at, at + FRAME_BYTES));
      for (let i = 0; i < 1_000; i++) s.ws.send('{"type":"keepalive"}'); // twice the 5 s burst of 100 a second
      s.ws.send('{"type":"close"}');
      expect((await s.closed).code).toBe(1000);
      expect(ofType(s.messages, 'error')).toEqual([]);
      expect(finals(s.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, audio, FRAME_BYTES));
      expect(await server.metric('voxlog_rejected_total{reason="intake_paced"}')).toBeGreaterThan(0);
    } finally {
      await server.dispose();
    }
  });

  it('closes a client that does not read what it is sent (slow_consumer, 1008) and logs why', async () => {
    const server = await startTestServer({ ...DEFAULTS, VOXLOG_MAX_MESSAGES_PER_SECOND: '1000000', VOXLOG_MAX_OUTBOUND_BYTES: String(16 * 1024), VOXLOG_LIMIT_GRACE_MS: '300' });
    try {
      const ws = new WebSocket(server.wsUrl());
      await new Promise((r) => (ws.onopen = r));
      bunSocket(ws).pause();
      // Every malformed message earns an error reply; unread, they pile up on the server's side.
      const t0 = performance.now();
      const closed = () => (server.db().query("SELECT data FROM events WHERE type = 'SessionClosed'").all() as { data: string }[]).map((r) => JSON.parse(r.data).reason);
      while (!closed().includes('slow_consumer') && performance.now() - t0 < 20_000) {
        for (let i = 0; i < 2000; i++) ws.send('x'.repeat(100));
        await Bun.sleep(10);
      }
      expect(closed()).toContain('slow_consumer');
      bunSocket(ws).terminate();
    } finally {
      await server.dispose();
    }
  }, 30_000);

  it('answers more HTTP requests a minute than allowed with 429 and Retry-After', async () => {
    const server = await startTestServer({ ...DEFAULTS, VOXLOG_HTTP_RATE_LIMIT: '5' });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${server.url}/api/v1/sessions`);
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await server.dispose();
    }
  });

  it('holds audio sent while the model loads with the socket paused: a small held-audio cap loses nothing', async () => {
    const server = await startTestServer({ VOXLOG_MAX_HELD_BYTES: String(64 * 1024) });
    try {
      const s = openSocket(server.wsUrl()); // the first session on a fresh server waits for the model to load
      await s.opened;
      const audio = concat(Array.from({ length: 8 }, clip)); // 640 KB, sent before the model is ready
      for (let at = 0; at < audio.length; at += FRAME_BYTES) s.ws.send(audio.subarray(at, at + FRAME_BYTES));
      s.ws.send('{"type":"close"}');
      expect((await s.closed).code).toBe(1000);
      expect(ofType(s.messages, 'error')).toEqual([]);
      expect(ofType(s.messages, 'closed')[0]!.audio_ms).toBe(Math.round(audio.length / 32));
      expect(finals(s.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, audio, FRAME_BYTES));
    } finally {
      await server.dispose();
    }
  });

  it('pauses reading a session whose engine falls behind and loses nothing (engine_overloaded)', async () => {
    const server = await startTestServer({ VOXLOG_MAX_ENGINE_BACKLOG_MS: '1000' });
    try {
      await streamAudio({ url: server.wsUrl(), audio: clip(), frameBytes: FRAME_BYTES }); // the model is loaded: audio goes straight to it
      const long = concat(Array.from({ length: 6 }, clip));
      const out = await streamAudio({ url: server.wsUrl(), audio: long, frameBytes: FRAME_BYTES });
      expect(out.closeCode).toBe(1000);
      expect(ofType(out.messages, 'error').map((e) => e.code)).toContain('engine_overloaded');
      expect(finals(out.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, long, FRAME_BYTES));
    } finally {
      await server.dispose();
    }
  });
});
