import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamAudio } from '../src/client/stream-client';
import { FRAME_BYTES, loadClip, STREAMING_MODEL } from './helpers/audio';
import { eventually, finals, startTestServer, waitForListening, type TestServer } from './helpers/server';

const clip = () => loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16;
let server: TestServer;
let admin: string;
let user: string;
const api = (path: string, token?: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
const signIn = async (username: string, password: string) =>
  ((await (await api('/api/v1/auth/token', undefined, { method: 'POST', body: new URLSearchParams({ username, password }) })).json()) as { access_token: string }).access_token;

beforeAll(async () => {
  server = await startTestServer({ VOXLOG_AUTH: 'on', VOXLOG_ADMIN_PASSWORD: 'admin-password-1' });
  admin = await signIn('admin', 'admin-password-1');
  await api('/api/v1/admin/users', admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'carol', password: 'carol-password' }) });
  user = await signIn('carol', 'carol-password');
  const out = await streamAudio({ url: server.wsUrl(), audio: clip(), frameBytes: FRAME_BYTES, token: user });
  expect(finals(out.messages).length).toBeGreaterThan(0);
  await api('/api/v1/sessions', user);
});
afterAll(() => server.dispose());

describe('GET /metrics', () => {
  it('speaks Prometheus text with sessions, audio, latencies, engines, the log, SSE, refusals and HTTP requests', async () => {
    const res = await api('/metrics', admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const line of [
      'voxlog_sessions_active 0',
      `voxlog_audio_seconds_total{model="${STREAMING_MODEL}"}`,
      `voxlog_decode_seconds_total{model="${STREAMING_MODEL}"}`,
      'voxlog_audio_frames_total',
      'voxlog_final_latency_seconds_bucket{le="0.25"}',
      'voxlog_partial_lag_seconds_count',
      `voxlog_engine_workers{model="${STREAMING_MODEL}",status="ready"}`,
      'voxlog_eventlog_append_seconds_count',
      'voxlog_eventlog_position',
      'voxlog_sse_subscribers 0',
      'voxlog_sessions_ended_total{reason="client_close"} 1',
      'voxlog_http_requests_total{route="/api/v1/sessions",status="200"} 1',
      'voxlog_process_resident_memory_bytes',
      'voxlog_process_cpu_seconds_total',
    ]) {
      expect(text).toContain(line);
    }
    const audio = Number(new RegExp(`voxlog_audio_seconds_total\\{model="${STREAMING_MODEL}"\\} (\\S+)`).exec(text)![1]);
    expect(audio).toBeCloseTo(clip().length / 32000, 0);
  });

  it('is for admins and metrics keys only; a metrics key reads nothing else', async () => {
    expect((await api('/metrics', user)).status).toBe(403);
    expect((await api('/metrics')).status).toBe(401);
    const created = await api('/api/v1/auth/keys', user, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'prometheus', scopes: ['metrics'] }) });
    const { key } = (await created.json()) as { key: string };
    expect((await api('/metrics', key)).status).toBe(200);
    const elsewhere = await api('/api/v1/sessions', key);
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { error: { code: string } }).error.code).toBe('key_scope');
  });

  it('counts refusals by reason', async () => {
    await api('/api/v1/sessions', 'not-a-token');
    expect(await (await api('/metrics', admin)).text()).toMatch(/voxlog_rejected_total\{reason="auth"\} [1-9]/);
  });
});

describe('admin routes', () => {
  it('report KPIs with the real-time factor measured in the workers, and the workers per model', async () => {
    const kpis = (await (await api('/api/v1/admin/kpis', admin)).json()) as { sessions: number; finals: number; audio_hours: number; mean_rtf: Record<string, number>; rss_bytes: number };
    expect(kpis.sessions).toBeGreaterThanOrEqual(1);
    expect(kpis.finals).toBeGreaterThanOrEqual(1);
    expect(kpis.audio_hours).toBeGreaterThan(0);
    expect(kpis.mean_rtf[STREAMING_MODEL]).toBeGreaterThan(0);
    expect(kpis.mean_rtf[STREAMING_MODEL]).toBeLessThan(1);
    expect(kpis.rss_bytes).toBeGreaterThan(10e6);
    const workers = (await (await api('/api/v1/admin/workers', admin)).json()) as { models: { model_id: string; workers: { status: string }[] }[] };
    expect(workers.models.find((m) => m.model_id === STREAMING_MODEL)?.workers.every((w) => w.status === 'ready')).toBe(true);
    expect((await api('/api/v1/admin/kpis', user)).status).toBe(403);
  });
});

describe('VOXLOG_LOG_FORMAT=json', () => {
  it('logs one JSON line per request and per session end', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-logs-'));
    const proc = Bun.spawn(['bun', join(import.meta.dir, '..', 'src', 'main.ts')], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VOXLOG_DATA_DIR: dataDir, VOXLOG_LOG_FORMAT: 'json', VOXLOG_DEFAULT_MODEL: STREAMING_MODEL },
      stdout: 'pipe',
      stderr: 'ignore',
    });
    try {
      const { url, output } = await waitForListening(proc);
      await fetch(`${url}/api/v1/sessions?limit=3`);
      await streamAudio({ url: `${url.replace(/^http/, 'ws')}/ws/transcribe`, audio: clip(), frameBytes: FRAME_BYTES });
      const lines = await eventually(() => {
        const json = output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
        return json.some((l) => l.msg === 'session ended') && json;
      });
      expect(lines.find((l) => l.msg === 'request' && l.route === '/api/v1/sessions')).toMatchObject({ method: 'GET', status: 200, path: '/api/v1/sessions', ms: expect.any(Number), time: expect.any(String) });
      expect(lines.find((l) => l.msg === 'session ended')).toMatchObject({ reason: 'client_close', model_id: STREAMING_MODEL, audio_ms: expect.any(Number), segments: expect.any(Number) });
    } finally {
      proc.kill();
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
