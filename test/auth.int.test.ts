import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SignJWT } from 'jose';
import { streamAudio } from '../src/client/stream-client';
import { FRAME_BYTES, loadClip } from './helpers/audio';
import { finals, openSocket, startTestServer, type TestServer } from './helpers/server';

const SECRET = 'a-test-secret-that-is-at-least-32-characters-long';
let server: TestServer;
let adminToken: string;
let aliceToken: string;
let bobToken: string;

const api = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers as Record<string, string>) } });
const signIn = async (username: string, password: string) => {
  const res = await api('/api/v1/auth/token', { method: 'POST', body: new URLSearchParams({ username, password, grant_type: 'password' }) });
  return { status: res.status, body: (await res.json()) as { access_token: string; error?: { code: string } } };
};
/** The HTTP answer to a WebSocket upgrade, when it is refused before the upgrade. */
const upgrade = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/ws/transcribe?${query}`, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
const clip = () => loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16;
const transcribe = (query: Record<string, string>, token?: string) => streamAudio({ url: server.wsUrl(query), audio: clip(), frameBytes: FRAME_BYTES, token });

beforeAll(async () => {
  server = await startTestServer({ VOXLOG_AUTH: 'on', VOXLOG_SECRET_KEY: SECRET, VOXLOG_ADMIN_PASSWORD: 'admin-password-1' });
  adminToken = (await signIn('admin', 'admin-password-1')).body.access_token;
  for (const name of ['alice', 'bob']) {
    const res = await api('/api/v1/admin/users', { method: 'POST', token: adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password: `${name}-password` }) });
    expect(res.status).toBe(201);
  }
  aliceToken = (await signIn('alice', 'alice-password')).body.access_token;
  bobToken = (await signIn('bob', 'bob-password')).body.access_token;
});
afterAll(() => server.dispose());

describe('with auth on', () => {
  it('refuses REST, the SSE feed and WebSocket upgrades without a credential, with 401 before any upgrade', async () => {
    for (const path of ['/api/v1/sessions', '/api/v1/history', '/api/v1/events', '/api/v1/events/stream', '/api/v1/models']) {
      const res = await api(path);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    expect((await upgrade('')).status).toBe(401);
    expect((await upgrade('token=not-a-token')).status).toBe(401);
    expect((await api('/health')).status).toBe(200);
  });

  it('tells anonymous callers and users whether the server is up and why, and only admins where its files are', async () => {
    for (const token of [undefined, aliceToken]) {
      const res = await api('/health', { token });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toEqual({ status: 'ok', event_log: 'ok', reason: null });
      expect(JSON.stringify(body)).not.toContain(server.dataDir);
    }
    const admin = await (await api('/health', { token: adminToken })).json();
    expect(admin).toMatchObject({ status: 'ok', database: 'ok', model_dirs: expect.any(Array) });
  });

  it('signs in with the OAuth2 password form and refuses a wrong password the same as an unknown user', async () => {
    expect((await signIn('alice', 'wrong-password')).status).toBe(401);
    expect((await signIn('nobody', 'alice-password')).status).toBe(401);
    const me = await (await api('/api/v1/auth/me', { token: aliceToken })).json();
    expect(me).toMatchObject({ name: 'alice', role: 'user', via: 'jwt' });
  });

  it('refuses forged tokens: another secret, alg none, and an expired one', async () => {
    const key = (s: string) => new TextEncoder().encode(s);
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(key('another-secret-of-at-least-32-characters!!'));
    const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${btoa(JSON.stringify({ sub: 'x' }))}.`.replace(/=/g, '');
    const me = (await (await api('/api/v1/auth/me', { token: aliceToken })).json()) as { user_id: string };
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(me.user_id).setIssuedAt(1).setExpirationTime(2).sign(key(SECRET));
    for (const token of [forged, none, expired]) expect((await api('/api/v1/sessions', { token })).status).toBe(401);
    const body = (await (await api('/api/v1/sessions', { token: expired })).json()) as { error: { message: string } };
    expect(body.error.message).toContain('expired');
  });

  it('transcribes with a token in the Authorization header, ?token=, or Sec-WebSocket-Protocol', async () => {
    expect(finals((await transcribe({}, aliceToken)).messages).length).toBeGreaterThan(0);
    expect(finals((await transcribe({ token: aliceToken })).messages).length).toBeGreaterThan(0);
    const ws = new WebSocket(server.wsUrl(), ['token', aliceToken]);
    const ready = await new Promise<string>((resolve, reject) => ((ws.onmessage = (e) => resolve(String(e.data))), (ws.onerror = () => reject(new Error('refused')))));
    expect(JSON.parse(ready).type).toBe('ready');
    expect(ws.protocol).toBe('token');
    ws.close();
  });

  it('issues API keys shown once and stored hashed, accepts them as Bearer or Token, records use, and refuses them once revoked', async () => {
    const created = await api('/api/v1/auth/keys', { method: 'POST', token: aliceToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'phone bridge' }) });
    expect(created.status).toBe(201);
    const { key, id } = (await created.json()) as { key: string; id: string };
    expect(key).toStartWith('vox_');
    const stored = server.db().query('SELECT data FROM events WHERE type = ?').all('ApiKeyCreated') as { data: string }[];
    expect(stored.some((r) => r.data.includes(key))).toBe(false);
    expect((await api('/api/v1/sessions', { headers: { authorization: `Token ${key}` } })).status).toBe(200);
    expect(finals((await transcribe({}, key)).messages).length).toBeGreaterThan(0);
    const listed = (await (await api('/api/v1/auth/keys', { token: aliceToken })).json()) as { keys: { id: string; last_used_at: string | null; key?: string }[] };
    expect(listed.keys.find((k) => k.id === id)?.last_used_at).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(key);
    expect((await api(`/api/v1/auth/keys/${id}`, { method: 'DELETE', token: bobToken })).status).toBe(404);
    expect((await api(`/api/v1/auth/keys/${id}`, { method: 'DELETE', token: aliceToken })).status).toBe(200);
    expect((await api('/api/v1/sessions', { token: key })).status).toBe(401);
    expect((await upgrade(`token=${key}`)).status).toBe(401);
  });

  it("records each session's owner: a user reads only their own, cannot resume another's, and an admin reads all", async () => {
    const out = await transcribe({}, aliceToken);
    const sessionId = (out.messages.find((m) => m.type === 'ready') as { session_id: string }).session_id;
    const list = async (token: string) => ((await (await api('/api/v1/sessions', { token })).json()) as { items: { id: string }[] }).items.map((s) => s.id);
    expect(await list(aliceToken)).toContain(sessionId);
    expect(await list(bobToken)).not.toContain(sessionId);
    expect(await list(adminToken)).toContain(sessionId);
    for (const path of [`/api/v1/sessions/${sessionId}`, `/api/v1/sessions/${sessionId}/events`]) {
      expect((await api(path, { token: bobToken })).status).toBe(404);
      expect((await api(path, { token: aliceToken })).status).toBe(200);
    }
    const history = (await (await api(`/api/v1/history?session_id=${sessionId}`, { token: bobToken })).json()) as { total: number };
    expect(history.total).toBe(0);
    const feed = (await (await api('/api/v1/events?limit=5000', { token: bobToken })).json()) as { events: { stream_id: string }[] };
    expect(feed.events.some((e) => e.stream_id === `session-${sessionId}`)).toBe(false);
    const ownFeed = (await (await api('/api/v1/events?limit=5000', { token: aliceToken })).json()) as { events: { stream_id: string; data: Record<string, unknown> }[] };
    expect(ownFeed.events.some((e) => e.stream_id === `session-${sessionId}`)).toBe(true);
    expect(JSON.stringify(ownFeed)).not.toContain('argon2');

    const stolen = openSocket(server.wsUrl({ session_id: sessionId, token: bobToken }));
    expect((await stolen.next('error')).code).toBe('unknown_session');
    expect((await stolen.closed).code).toBe(1008);
    const resumed = await transcribe({ session_id: sessionId }, aliceToken);
    expect(resumed.closeCode).toBe(1000);
  });

  it('keeps admin routes to admins and takes a disabled user out at once', async () => {
    expect((await api('/api/v1/admin/users', { token: aliceToken })).status).toBe(403);
    const users = (await (await api('/api/v1/admin/users', { token: adminToken })).json()) as { users: { id: string; name: string }[] };
    const bob = users.users.find((u) => u.name === 'bob')!;
    const res = await api(`/api/v1/admin/users/${bob.id}`, { method: 'PATCH', token: adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }) });
    expect(res.status).toBe(200);
    expect((await api('/api/v1/sessions', { token: bobToken })).status).toBe(403);
    expect((await signIn('bob', 'bob-password')).status).toBe(401);
  });

  it('keeps registration closed unless VOXLOG_ALLOW_REGISTRATION is on', async () => {
    const res = await api('/api/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'mallory', password: 'mallory-password' }) });
    expect(res.status).toBe(403);
  });

  it('lets an admin change a role, after which the user reads as an admin', async () => {
    const users = (await (await api('/api/v1/admin/users', { token: adminToken })).json()) as { users: { id: string; name: string }[] };
    const alice = users.users.find((u) => u.name === 'alice')!;
    const patch = (role: string) => api(`/api/v1/admin/users/${alice.id}`, { method: 'PATCH', token: adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role }) });
    expect((await patch('admin')).status).toBe(200);
    expect((await api('/api/v1/admin/users', { token: aliceToken })).status).toBe(200);
    expect((await patch('user')).status).toBe(200);
    expect((await api('/api/v1/admin/users', { token: aliceToken })).status).toBe(403);
    expect((await patch('owner')).status).toBe(400);
    const unknown = await api('/api/v1/admin/users/nobody', { method: 'PATCH', token: adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'user' }) });
    expect(unknown.status).toBe(404);
  });

  it('takes the credential as ?token= on the SSE feed, which browsers cannot send headers to', async () => {
    const res = await api(`/api/v1/events/stream?token=${aliceToken}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    await res.body!.cancel();
    expect((await api(`/api/v1/events?token=${aliceToken}`)).status).toBe(401);
  });
});

describe('against cross-site pages and DNS rebinding', () => {
  it('refuses a WebSocket upgrade from a foreign Origin with 403 and allows the configured and same origins', async () => {
    expect((await upgrade(`token=${aliceToken}`, { origin: 'http://evil.example' })).status).toBe(403);
    const same = new WebSocket(server.wsUrl({ token: aliceToken }), { headers: { origin: server.url } } as unknown as string[]);
    expect(await new Promise((r) => ((same.onopen = () => r('open')), (same.onerror = () => r('refused'))))).toBe('open');
    same.close();
  });

  it('answers a CORS preflight without credentials (the request it clears carries them)', async () => {
    const res = await api('/api/v1/sessions', { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('answers a foreign Host header with 421 and serves nothing', async () => {
    const res = await api('/health', { headers: { host: 'evil.example' } });
    expect(res.status).toBe(421);
    expect((await upgrade(`token=${aliceToken}`, { host: 'rebind.evil.example:8000' })).status).toBe(421);
  });
});

describe('auth mode', () => {
  it('is off by default on loopback, where sessions have no owner', async () => {
    const open = await startTestServer();
    try {
      expect((await fetch(`${open.url}/api/v1/sessions`)).status).toBe(200);
      await streamAudio({ url: open.wsUrl(), audio: clip(), frameBytes: FRAME_BYTES });
      const sessions = (await (await fetch(`${open.url}/api/v1/sessions`)).json()) as { items: { user_id: string | null }[] };
      expect(sessions.items.map((s) => s.user_id)).toEqual([null]);
    } finally {
      await open.dispose();
    }
  });

  it('with VOXLOG_ALLOW_REGISTRATION on, anyone may create a user account (never an admin) and sign in', async () => {
    const open = await startTestServer({ VOXLOG_AUTH: 'on', VOXLOG_ALLOW_REGISTRATION: 'on' });
    try {
      const post = (body: object) => fetch(`${open.url}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const res = await post({ name: 'dave', password: 'dave-password', role: 'admin' });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ name: 'dave', role: 'user' });
      expect((await post({ name: 'dave', password: 'other-password' })).status).toBe(409);
      expect((await post({ name: 'eve', password: 'short' })).status).toBe(400);
      const token = await fetch(`${open.url}/api/v1/auth/token`, { method: 'POST', body: new URLSearchParams({ username: 'dave', password: 'dave-password' }) });
      expect(token.status).toBe(200);
    } finally {
      await open.dispose();
    }
  });

  it('creates the first admin once and keeps users, keys and tokens across a restart', async () => {
    await server.stop();
    server = await startTestServer({ VOXLOG_AUTH: 'on', VOXLOG_SECRET_KEY: SECRET, VOXLOG_ADMIN_PASSWORD: 'admin-password-1' }, server.dataDir);
    const admins = (server.db().query("SELECT COUNT(*) AS n FROM events WHERE type = 'UserCreated' AND data LIKE '%\"role\":\"admin\"%'").get() as { n: number }).n;
    expect(admins).toBe(1);
    expect((await api('/api/v1/sessions', { token: aliceToken })).status).toBe(200);
  });
});
