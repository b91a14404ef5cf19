// The Wyoming server driven by a client written here from the protocol's description, sending what
// Home Assistant's wyoming integration sends: describe on its own connection, then per utterance
// transcribe, audio-start, audio-chunk..., audio-stop, and reading until transcript.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { LIFTED_LIMITS } from '../src/config';
import { wordErrorRate } from '../src/scoring/wer';
import { concat, loadClip, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { librispeech, nativeTranscript, startAuthedServer } from './helpers/adapters';
import { jsonClient } from './helpers/http';
import { eventually, startTestServer, type TestServer } from './helpers/server';
import { connectWyoming as connect, type WyomingClient } from './helpers/wyoming';

/** What Home Assistant sends for one utterance: 16 kHz, 16-bit mono, in 1024-byte chunks. */
function sendUtterance(c: WyomingClient, pcm: Uint8Array, transcribe: Record<string, unknown> = { language: 'en' }) {
  c.write('transcribe', transcribe);
  c.write('audio-start', { rate: 16000, width: 2, channels: 1, timestamp: 0 });
  for (let i = 0; i < pcm.length; i += 1024) c.write('audio-chunk', { rate: 16000, width: 2, channels: 1, timestamp: Math.round(i / 32) }, pcm.subarray(i, i + 1024));
  c.write('audio-stop', { timestamp: Math.round(pcm.length / 32) });
}

let server: TestServer;
let key: string;
let userId: string;
let token: string;
beforeAll(async () => {
  // The key is made on a first run; the server then restarts with it as VOXLOG_WYOMING_API_KEY, as an operator would.
  const first = await startAuthedServer();
  ({ key, userId, token } = first);
  await first.server.stop();
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '', VOXLOG_AUTH: 'on', VOXLOG_WYOMING_PORT: '0', VOXLOG_WYOMING_API_KEY: key }, first.server.dataDir);
});
afterAll(() => server.dispose());

describe('Wyoming (Home Assistant)', () => {
  it('describes one asr program listing the models, with transcript streaming', async () => {
    const c = await connect(server.wyomingPort!);
    c.write('describe');
    const info = await c.next('info');
    const asr = info.data.asr;
    expect(asr).toHaveLength(1);
    expect(asr[0]).toMatchObject({ name: 'voxlog', installed: true, supports_transcript_streaming: true, attribution: { name: 'voxlog' } });
    const real = asr[0].models.find((m: { name: string }) => m.name === 'gigaspeech-zipformer-3.3M-en');
    expect(real).toMatchObject({ installed: true, languages: ['en'], attribution: { url: expect.stringContaining('sherpa-onnx') } });
    c.socket.end();
  });

  it("transcribes an utterance as the native protocol does, streaming chunks before the transcript, as the key's user", async () => {
    const clip = librispeech();
    const c = await connect(server.wyomingPort!);
    sendUtterance(c, clip.pcm16);
    const transcript = await c.next('transcript');
    const types = c.events.map((e) => e.type);
    expect(types[0]).toBe('transcript-start');
    expect(types.slice(-2)).toEqual(['transcript-stop', 'transcript']);
    const chunks = c.events.filter((e) => e.type === 'transcript-chunk').map((e) => e.data.text).join('');
    expect(chunks).toBe(transcript.data.text);
    expect(transcript.data.language).toBe('en');
    // Written as the native protocol writes finals by default: punctuated, cased, numbers as figures.
    const native = await nativeTranscript(server, key, clip.pcm16);
    expect(transcript.data.text).toBe(native);
    expect(transcript.data.text).toMatch(/^[A-Z][^]*[a-z][^]*[.?]$/);
    expect(wordErrorRate(clip.reference, transcript.data.text).rate).toBeLessThan(0.15); // measured 0.071, as native
    // A second utterance on the same connection is a second session.
    sendUtterance(c, clip.pcm16);
    await eventually(() => c.events.filter((e) => e.type === 'transcript').length === 2, 60_000);
    const listed = await (await fetch(`${server.url}/api/v1/sessions?protocol=wyoming`, { headers: { authorization: `Token ${key}` } })).json();
    expect(listed.items.map((r: { user_id: string; protocol: string }) => [r.user_id, r.protocol])).toEqual([[userId, 'wyoming'], [userId, 'wyoming']]);
    c.socket.end();
  });

  it('answers bad audio with an error event and keeps the connection; a malformed header gets an error and a hang-up', async () => {
    const c = await connect(server.wyomingPort!);
    c.write('audio-start', { rate: 16000, width: 1, channels: 1 });
    expect((await c.next('error')).data).toMatchObject({ code: 'invalid_audio_format', text: expect.stringContaining('width') });
    c.write('transcribe', { name: 'no-such-model' });
    c.write('audio-start', { rate: 16000, width: 2, channels: 1 });
    expect((await c.next('error', 1)).data).toMatchObject({ code: 'unknown_model' });
    c.write('ping', { text: 'still there' });
    expect((await c.next('pong')).data).toEqual({ text: 'still there' });
    c.raw('{"type": "audio-chunk", "payload_length": -5}\n');
    expect((await c.next('error', 3)).data).toMatchObject({ code: 'malformed_event' });
    await eventually(() => c.closed());
  });

  it('counts its connections toward VOXLOG_MAX_SOCKETS_PER_IP', async () => {
    const small = await startTestServer({ VOXLOG_WYOMING_PORT: '0', VOXLOG_MAX_SOCKETS_PER_IP: '1' });
    try {
      const first = await connect(small.wyomingPort!);
      const second = await connect(small.wyomingPort!);
      expect((await second.next('error')).data).toMatchObject({ code: 'too_many_connections' });
      await eventually(() => second.closed());
      first.write('ping');
      await first.next('pong');
      first.socket.end();
    } finally {
      await small.dispose();
    }
  });

  it('refuses a session when the presented key is wrong', async () => {
    const c = await connect(server.wyomingPort!);
    c.write('audio-start', { rate: 16000, width: 2, channels: 1, token: 'vox_not_a_key' });
    expect((await c.next('error')).data).toMatchObject({ code: 'unauthorized' });
    c.socket.end();
  });

  it('hangs up on a session ended for a limit while its client floods: a few MB reach the kernel after, not gigabytes', async () => {
    const api = jsonClient(server.url, token);
    const created = await api('POST', '/api/v1/auth/keys', { name: 'flooder' });
    const c = await connect(server.wyomingPort!);
    c.write('audio-start', { rate: 16000, width: 2, channels: 1, token: created.body.key });
    const chunk = new Uint8Array(32 * 1024);
    const push = async (ms: number) => {
      let sent = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < ms && !c.closed()) {
        if (c.unsent() < 4 * 1024 * 1024) (c.write('audio-chunk', { rate: 16000, width: 2, channels: 1 }, chunk), (sent += chunk.length));
        else await Bun.sleep(1);
        if (sent % (1024 * 1024) === 0) await Bun.sleep(0);
      }
      return sent - c.unsent();
    };
    await push(1_000);
    const revoked = api('DELETE', `/api/v1/auth/keys/${created.body.id}`); // the session ends: credential revoked, 1008
    const before = c.unsent();
    const after = (await push(3_000)) + before;
    expect((await revoked).status).toBe(200);
    console.log(`wyoming flooder: ${(after / 1e6).toFixed(1)} MB taken by the kernel in the 3 s after its key was revoked`);
    expect(after).toBeLessThan(100e6);
    await eventually(() => c.closed(), 15_000);
  }, 30_000);

  it('stops taking utterances once VOXLOG_WYOMING_API_KEY is revoked, without a restart', async () => {
    const api = jsonClient(server.url, token);
    const { body } = await api('GET', '/api/v1/auth/keys');
    expect((await api('DELETE', `/api/v1/auth/keys/${body.keys[0].id}`)).status).toBe(200);
    const c = await connect(server.wyomingPort!);
    sendUtterance(c, new Uint8Array(3200));
    expect((await c.next('error')).data).toMatchObject({ code: 'unauthorized', text: expect.stringContaining('revoked') });
    c.socket.end();
  });
});

describe('Wyoming clients at full network speed (default limits)', () => {
  let paced: TestServer;
  beforeAll(async () => {
    paced = await startTestServer({ ...Object.fromEntries(Object.keys(LIFTED_LIMITS).map((k) => [k, ''])), VOXLOG_WYOMING_PORT: '0' });
  });
  afterAll(() => paced.dispose());

  it('a recording longer than the 20 s burst sent at once is paced, not cut: the transcript is the same as the direct decode', async () => {
    const audio = concat(Array.from({ length: 16 }, () => loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16)); // 40 s
    const c = await connect(paced.wyomingPort!);
    sendUtterance(c, audio);
    const transcript = await c.next('transcript');
    // Nothing refused; a loaded machine may also pause it for the engine (engine_overloaded), which drops nothing either.
    expect(c.events.filter((e) => e.type === 'error' && e.data.code !== 'engine_overloaded')).toEqual([]);
    // The recogniser's words, as logged beside the written transcript the client got (the only session on this server).
    const logged = paced.store.readAll().flatMap((e) => (e.type === 'SegmentFinalized' ? [e.data] : []));
    expect(logged.map((d) => d.text).filter(Boolean).join(' ')).toBe((await directDecode(STREAMING_MODEL, audio, 1024)).join(' '));
    expect(transcript.data.text).toBe(logged.map((d) => d.formatted?.text ?? d.text).filter(Boolean).join(' '));
    c.socket.end();
  });

});
