import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { LIFTED_LIMITS } from '../src/config';
import { streamAudio } from '../src/client/stream-client';
import { concat, FRAME_BYTES, loadClip, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { eventually, finals, ofType, openSocket, startServerProcess, startTestServer, type ServerProcess } from './helpers/server';

/** The shipped defaults: every lifted limit unset again. */
const DEFAULTS = Object.fromEntries(Object.keys(LIFTED_LIMITS).map((k) => [k, '']));
const clip = () => loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
/** Bun's client WebSocket can stop reading (and be cut); the DOM type it is declared with cannot. */
const bunSocket = (ws: WebSocket) => ws as unknown as { pause(): void; terminate(): void };
const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

describe('a client flooding audio faster than real time without reading (server in its own process, default limits)', () => {
  let server: ServerProcess;
  let url: string;
  beforeAll(async () => {
    server = await startServerProcess({ ...DEFAULTS, VOXLOG_DEFAULT_MODEL: STREAMING_MODEL });
    url = server.url.replace(/^http/, 'ws');
  });
  afterAll(() => server.stop());

  it('is cut off with 1008 within seconds, server memory stays bounded, and a good session beside it gets its whole transcript', async () => {
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
      while (flooding && ws.readyState === WebSocket.OPEN && performance.now() - t0 < 20_000) {
        if (ws.bufferedAmount < 4 * 1024 * 1024) (ws.send(frame), (sent += frame.length));
        else await Bun.sleep(1);
        if (sent % (1024 * 1024) === 0) await Bun.sleep(0);
      }
      return { sent, ms: performance.now() - t0, ws };
    };
    const started = performance.now();
    let flooding = true;
    const floods = [flood(), flood()];
    // A good session at a client's honest pace, beside the two floods.
    const good = await streamAudio({ url: wsUrl, audio: clip(), frameBytes: FRAME_BYTES, paceBytesPerSecond: 3 * 32000 });
    // The server holds its log alone: the log's own feed says how sessions closed.
    const httpUrl = url.replace(/^ws/, 'http');
    const closedReasons = async () => ((await (await fetch(`${httpUrl}/api/v1/events?type=SessionClosed`)).json()) as { events: { data: { reason: string } }[] }).events.map((e) => e.data.reason);
    try {
      await eventually(async () => (await closedReasons()).filter((r) => r === 'rate_exceeded').length === 2, 15_000);
    } finally {
      clearInterval(sampler);
      flooding = false;
    }
    const cutOffMs = performance.now() - started;
    for (const f of floods) bunSocket((await f).ws).terminate();
    const sent = (await Promise.all(floods)).reduce((n, f) => n + f.sent, 0);
    console.log(`flood: 2 non-reading clients sent ${mb(sent)} of audio; both cut off (rate_exceeded) within ${(cutOffMs / 1000).toFixed(1)} s; server RSS ${mb(before)} before, peak ${mb(peak)} (+${mb(peak - before)})`);
    expect(peak - before).toBeLessThan(200e6);
    expect(good.closeCode).toBe(1000);
    expect(finals(good.messages).map((f) => f.text)).toEqual(directDecode(STREAMING_MODEL, clip(), FRAME_BYTES));
  }, 60_000);
});

describe('per-client limits (in-process server, small limits)', () => {
  it('refuses audio faster than the intake rate with rate_exceeded, then closes 1008 when it goes on', async () => {
    const server = await startTestServer({ ...DEFAULTS, VOXLOG_LIMIT_GRACE_MS: '1000' });
    try {
      // 40 clips (about 2 minutes of audio) at 20x real time: the 20 s burst goes, then the rest is refused and the socket closed.
      const long = concat(Array.from({ length: 40 }, clip));
      const out = await streamAudio({ url: server.wsUrl(), audio: long, frameBytes: FRAME_BYTES, paceBytesPerSecond: 20 * 32000 });
      expect(out.closeCode).toBe(1008);
      expect(ofType(out.messages, 'error').map((e) => e.code)).toContain('rate_exceeded');
      const closed = ofType(out.messages, 'closed')[0]!;
      expect(closed.reason).toBe('rate_exceeded');
      expect(closed.audio_ms).toBeLessThan(long.length / 32 - 10_000);
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

  it('refuses a flood of control messages with rate_exceeded and closes 1008', async () => {
    const server = await startTestServer({ ...DEFAULTS, VOXLOG_LIMIT_GRACE_MS: '200' });
    try {
      const s = openSocket(server.wsUrl());
      await s.next('ready');
      const t0 = performance.now();
      while (s.ws.readyState === WebSocket.OPEN && performance.now() - t0 < 5_000) {
        for (let i = 0; i < 200; i++) s.ws.send('{"type":"keepalive"}');
        await Bun.sleep(5);
      }
      expect((await s.closed).code).toBe(1008);
      expect(ofType(s.messages, 'error').map((e) => e.code)).toContain('rate_exceeded');
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

  it('caps audio held while the model loads: held_audio_full, the excess dropped, the session carries on', async () => {
    const server = await startTestServer({ VOXLOG_MAX_HELD_BYTES: String(64 * 1024) });
    try {
      const s = openSocket(server.wsUrl()); // the first session on a fresh server waits for the model to load
      await s.opened;
      const audio = concat(Array.from({ length: 8 }, clip)); // 640 KB, sent before the model is ready
      for (let at = 0; at < audio.length; at += FRAME_BYTES) s.ws.send(audio.subarray(at, at + FRAME_BYTES));
      await s.next('ready');
      expect((await s.next('error')).code).toBe('held_audio_full');
      s.ws.send('{"type":"close"}');
      const closed = await s.closed;
      expect(closed.code).toBe(1000);
      expect(ofType(s.messages, 'closed')[0]!.audio_ms).toBeLessThanOrEqual(2_100); // 64 KB of 16 kHz PCM16 is 2048 ms
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
      expect(finals(out.messages).map((f) => f.text)).toEqual(directDecode(STREAMING_MODEL, long, FRAME_BYTES));
    } finally {
      await server.dispose();
    }
  });
});
