// The Wyoming server driven by a client written here from the protocol's description, sending what
// Home Assistant's wyoming integration sends: describe on its own connection, then per utterance
// transcribe, audio-start, audio-chunk..., audio-stop, and reading until transcript.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { wordErrorRate } from '../src/scoring/wer';
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
    const native = await nativeTranscript(server, key, clip.pcm16);
    expect(transcript.data.text).toBe(native.toLowerCase());
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
