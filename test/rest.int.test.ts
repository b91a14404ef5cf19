import { MIGRATIONS } from '../migrations';
import { projections } from '../events/projections';
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { loadClip, STREAMING_MODEL } from './helpers/audio';
import { finals, startTestServer, stream, type TestServer } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ VOXLOG_CORS_ORIGINS: 'https://ui.example', VOXLOG_OPENAPI_SERVERS: 'https://stt.example/' });
});
afterAll(() => server.dispose());

const get = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${server.url}${path}`, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
};

describe('GET /api/v1/models', () => {
  it('lists the catalog with what is on disk and what is loaded', async () => {
    const { body } = await get('/api/v1/models');
    const byId = new Map(body.models.map((m: any) => [m.id, m]));
    expect(byId.get(STREAMING_MODEL)).toMatchObject({ kind: 'streaming', language: 'en', available: true });
    expect(byId.get('sherpa-onnx-streaming-zipformer-en-20M-2023-02-17')).toMatchObject({ available: false, loaded: false, status: 'missing' });
    await stream(server.wsUrl(), loadClip('synthetic-seen', 'seen_0000_kal16.wav').pcm16);
    const after = (await get('/api/v1/models')).body.models.find((m: any) => m.id === STREAMING_MODEL);
    expect(after).toMatchObject({ loaded: true, status: 'ready' });
  });
});

describe('GET /api/v1/history', () => {
  it('pages newest first and filters by session and model', async () => {
    const ids: string[] = [];
    for (const f of ['seen_0001_rms.wav', 'seen_0002_awb.wav', 'seen_0003_kal16.wav']) {
      const out = await stream(server.wsUrl(), loadClip('synthetic-seen', f).pcm16);
      expect(finals(out.messages).length).toBe(1);
      ids.push((out.messages[0] as { session_id: string }).session_id);
    }
    const page = (await get('/api/v1/history?limit=2&offset=0')).body;
    expect(page.items.map((r: any) => r.session_id)).toEqual([ids[2], ids[1]]);
    expect(page.total).toBeGreaterThanOrEqual(3);
    const next = (await get('/api/v1/history?limit=1&offset=2')).body;
    expect(next.items[0].session_id).toBe(ids[0]);
    const one = (await get(`/api/v1/history?session_id=${ids[1]}`)).body;
    expect(one.items.map((r: any) => r.session_id)).toEqual([ids[1]]);
    expect(Object.keys(one.items[0]).sort()).toEqual(['content', 'created_at', 'id', 'latency_ms', 'model_id', 'session_id']);
    expect((await get('/api/v1/history?model_id=nobody')).body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
  });

  it('answers bad filters with 400 and a message naming the parameter', async () => {
    for (const [query, name] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['limit=501', 'limit'], ['offset=-1', 'offset'], [`session_id=${'x'.repeat(65)}`, 'session_id']]) {
      const r = await get(`/api/v1/history?${query}`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.message).toContain(name);
    }
  });
});

describe('service endpoints', () => {
  it('serves health, a JSON 404, OpenAPI with configured servers, and Swagger UI', async () => {
    expect((await get('/health')).body).toMatchObject({ status: 'ok', database: 'ok' });
    const missing = await get('/api/v1/nothing-here');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found']);
    const spec = (await get('/swagger/json')).body;
    expect(spec.info.title).toBe('voxlog');
    expect(spec.servers).toEqual([{ url: 'https://stt.example/' }]);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/models', '/api/v1/history', '/health']));
    const ui = await fetch(`${server.url}/swagger`);
    expect(ui.headers.get('content-type')).toContain('text/html');
  });

  it('allows the configured CORS origin and no other', async () => {
    const ok = await fetch(`${server.url}/api/v1/models`, { headers: { Origin: 'https://ui.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    const other = await fetch(`${server.url}/api/v1/models`, { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });
});

describe('restarting on the same data directory', () => {
  it('keeps the history and applies no migration twice', async () => {
    const first = await startTestServer();
    const out = await stream(first.wsUrl(), loadClip('synthetic-seen', 'seen_0004_rms.wav').pcm16);
    const text = finals(out.messages)[0]!.text;
    await first.stop();
    const second = await startTestServer({}, first.dataDir);
    try {
      const body = (await (await fetch(`${second.url}/api/v1/history`)).json()) as any;
      expect(body.items.map((r: any) => r.content)).toEqual([text]);
      const migrations = second.db().query('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number };
      expect(migrations.n).toBe(MIGRATIONS.length);
      expect(second.db().query('SELECT COUNT(*) AS n FROM projection_versions').get()).toEqual({ n: projections.length });
    } finally {
      await second.dispose();
    }
  });
});
