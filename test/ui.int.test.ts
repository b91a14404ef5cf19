import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startTestServer, type TestServer } from './helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ VOXLOG_AUTH: 'on', VOXLOG_ADMIN_PASSWORD: 'correct horse battery' });
});

afterAll(() => server?.dispose());

describe('serving the web app', () => {
  it('answers every app route with the same page, locked to this origin by its CSP', async () => {
    for (const path of ['/', '/live', '/sessions', '/sessions/abc123', '/dictation', '/jobs', '/stats', '/admin', '/sign-in']) {
      const res = await fetch(`${server.url}${path}`);
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 200, type: 'text/html; charset=utf-8' });
      expect(await res.text()).toContain('<div id="app">');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('serves the bundled script, styles and worklet with an ETag, and 304 when it has not changed', async () => {
    const js = await fetch(`${server.url}/ui/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = await js.text();
    expect(body).toContain('voxlog-mic');
    const again = await fetch(`${server.url}/ui/main.js`, { headers: { 'if-none-match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${server.url}/ui/main.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // Sent gzipped to a client that accepts it (fetch decompresses it again).
    const packed = await fetch(`${server.url}/ui/main.js`, { headers: { 'accept-encoding': 'gzip' }, decompress: false } as RequestInit);
    expect(packed.headers.get('content-encoding')).toBe('gzip');
    const wire = new Uint8Array(await packed.arrayBuffer());
    expect(wire.length).toBeLessThan(body.length / 2);
    expect(new TextDecoder().decode(Bun.gunzipSync(wire))).toBe(body);
    expect(await (await fetch(`${server.url}/ui/worklet.js`)).text()).toContain('registerProcessor');
  });

  it('answers an unknown UI file or path with 404 in the API error shape', async () => {
    for (const path of ['/ui/nope.js', '/ui/../voxlog.sqlite', '/nowhere']) {
      const res = await fetch(`${server.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
    const res = await fetch(`${server.url}/ui/nope.js`);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('needs no sign-in for the page, while the API behind it still does', async () => {
    expect((await fetch(`${server.url}/api/v1/sessions`)).status).toBe(401);
    const me = await fetch(`${server.url}/api/v1/auth/me`);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { role: string }).role).toBe('anonymous');
    expect((await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
  });

  it('marks the default model in /api/v1/models, so pages can preselect it', async () => {
    const token = ((await (await fetch(`${server.url}/api/v1/auth/token`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'correct horse battery' }) })).json()) as { access_token: string }).access_token;
    const { models } = (await (await fetch(`${server.url}/api/v1/models`, { headers: { authorization: `Bearer ${token}` } })).json()) as { models: { id: string; default: boolean }[] };
    expect(models.filter((m) => m.default).map((m) => m.id)).toEqual(['tiny-streaming-lstm-ctc-en']);
  });
});
