// A connection lives only as long as the credential it opened with: revoking a key or disabling a
// user ends its open sessions on every protocol, and a token that never expires is not accepted.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SignJWT } from 'jose';
import { startAuthedServer, type AuthedServer } from './helpers/adapters';
import { STREAMING_MODEL } from './helpers/audio';
import { jsonClient, signIn } from './helpers/http';

const SECRET = 'a-test-secret-that-is-at-least-32-characters-long';
let s: AuthedServer;
beforeAll(async () => (s = await startAuthedServer({ VOXLOG_DEFAULT_MODEL: STREAMING_MODEL, VOXLOG_SECRET_KEY: SECRET })));
afterAll(() => s.server.dispose());

const wsBase = () => s.server.url.replace(/^http/, 'ws');

/** A fresh API key of the test user, with its id. */
async function newKey(): Promise<{ key: string; id: string }> {
  const created = await jsonClient(s.server.url, s.token)('POST', '/api/v1/auth/keys', { name: `k-${crypto.randomUUID()}` });
  expect(created.status).toBe(201);
  return { key: created.body.key, id: created.body.id };
}

interface Live {
  readonly messages: string[];
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
}

/** Opens `ws`, runs `begin`, then sends `frame()` every 50 ms (a live microphone) until the socket closes. */
function speakOn(ws: WebSocket, begin: (ws: WebSocket) => void, frame: () => string | Uint8Array<ArrayBuffer>): Live & { ready: Promise<void> } {
  const messages: string[] = [];
  let ticker: Timer | undefined;
  ws.onmessage = (e) => messages.push(String(e.data));
  const ready = new Promise<void>((r) => (ws.onopen = () => (begin(ws), (ticker = setInterval(() => ws.readyState === 1 && ws.send(frame()), 50)), r())));
  const closed = new Promise<{ code: number; reason: string; at: number }>((r) => (ws.onclose = (e) => (clearInterval(ticker), r({ code: e.code, reason: e.reason, at: performance.now() }))));
  return { messages, closed, ready };
}

const pcm = () => new Uint8Array(1600);
const native = (key: string) => speakOn(new WebSocket(`${wsBase()}/ws/transcribe?token=${key}`), () => {}, pcm);
const deepgram = (key: string) => speakOn(new WebSocket(`${wsBase()}/v1/listen?encoding=linear16&sample_rate=16000`, { headers: { authorization: `Token ${key}` } } as never), () => {}, pcm);
const twilio = (key: string) =>
  speakOn(
    new WebSocket(`${wsBase()}/v1/twilio`),
    (ws) => {
      ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
      const start = { accountSid: 'AC1', streamSid: 'MZ1', callSid: 'CA1', tracks: ['inbound'], customParameters: { token: key }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } };
      ws.send(JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid: 'MZ1', start }));
    },
    () => JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { track: 'inbound', payload: Buffer.from(new Uint8Array(400).fill(0xff)).toString('base64') } }),
  );

/** Waits until the server has the session running (its SessionOpened is in the log). */
async function untilOpen(before: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((s.server.db().query(`SELECT COUNT(*) AS n FROM events WHERE type = 'SessionOpened'`).get() as { n: number }).n > before) return;
    await Bun.sleep(10);
  }
  throw new Error('the session never opened');
}
const opened = () => (s.server.db().query(`SELECT COUNT(*) AS n FROM events WHERE type = 'SessionOpened'`).get() as { n: number }).n;

describe('revoking a key ends the sessions it opened', () => {
  for (const [name, open] of [['native', native], ['Deepgram', deepgram], ['Twilio', twilio]] as const) {
    it(`on the ${name} protocol, with a reason, while other keys' sessions go on`, async () => {
      const doomed = await newKey();
      const kept = await newKey();
      const before = opened();
      const a = open(doomed.key);
      const b = open(kept.key);
      await Promise.all([a.ready, b.ready]);
      await untilOpen(before + 1);
      const revokedAt = performance.now();
      expect((await jsonClient(s.server.url, s.token)('DELETE', `/api/v1/auth/keys/${doomed.id}`)).status).toBe(200);
      const closed = await a.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toMatch(/revoked/);
      console.log(`${name}: revoked → closed in ${(closed.at - revokedAt).toFixed(1)} ms`);
      expect(closed.at - revokedAt).toBeLessThan(5_000);
      // Twilio's protocol has no error message to the client: the close says it. The others say why in words too.
      if (name !== 'Twilio') expect(a.messages.join('\n')).toContain('was revoked');
      // The other key's session goes on.
      await Bun.sleep(200);
      expect(await Promise.race([b.closed, Bun.sleep(10).then(() => 'open')])).toBe('open');
      // A revoked key opens nothing new.
      expect(await open(doomed.key).closed.then((c) => c.code)).not.toBe(1000);
    });
  }
});

it('disabling a user ends the sessions they opened with a token', async () => {
  const admin = jsonClient(s.server.url, s.admin);
  const user = await admin('POST', '/api/v1/admin/users', { name: 'soon-disabled', password: 'disabled-password-1', role: 'user' });
  const token = await signIn(s.server.url, 'soon-disabled', 'disabled-password-1');
  const before = opened();
  const live = native(token);
  await live.ready;
  await untilOpen(before);
  expect((await admin('PATCH', `/api/v1/admin/users/${user.body.id}`, { disabled: true })).status).toBe(200);
  const closed = await live.closed;
  expect(closed).toMatchObject({ code: 1008 });
  expect(live.messages.join('\n')).toMatch(/credential_revoked.*disabled/);
});

it('refuses a token signed with the server secret that has no expiry', async () => {
  const forever = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(s.userId).setIssuedAt().sign(new TextEncoder().encode(SECRET));
  const r = await fetch(`${s.server.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${forever}` } });
  expect(r.status).toBe(401);
  expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/no expiry/);
  const expiring = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(s.userId).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
  expect((await fetch(`${s.server.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${expiring}` } })).status).toBe(200);
});
