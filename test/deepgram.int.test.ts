// The Deepgram-compatible API driven by Deepgram's own SDK (@deepgram/sdk), pointed at voxlog by
// its base URL and authenticated with a voxlog API key.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { DeepgramClient } from '@deepgram/sdk';
import { wordErrorRate } from '../src/scoring/wer';
import { librispeech, nativeTranscript, startAuthedServer, telephonyMulaw, type AuthedServer } from './helpers/adapters';
import { pcm16Wav } from './helpers/audio';
import { eventually, startTestServer } from './helpers/server';

/** Measured through the adapter (the same as native): 0.071 on this clip, 0.095 on the μ-law prompt. */
const WER_BOUND = { librispeech: 0.15, telephony: 0.3 };

let s: AuthedServer;
let client: DeepgramClient;
beforeAll(async () => {
  s = await startAuthedServer();
  client = new DeepgramClient({ apiKey: s.key, baseUrl: s.server.url });
});
afterAll(() => s.server.dispose());

type Message = { type: string; [k: string]: any };

/** Streams `audio` through the SDK's live socket, then Finalize and CloseStream; returns what came back and the close. */
async function live(audio: Uint8Array, query: Record<string, unknown>, frameBytes: number) {
  const conn = await client.listen.v1.connect({ model: 'nova-3', reconnectAttempts: 0, ...query } as never);
  const messages: Message[] = [];
  conn.on('message', (m) => messages.push(m as Message));
  const closed = new Promise<{ code: number; reason: string }>((r) => conn.on('close', (e) => r({ code: e.code, reason: e.reason })));
  conn.connect();
  await conn.waitForOpen();
  for (let i = 0; i < audio.length; i += frameBytes) conn.sendMedia(audio.subarray(i, i + frameBytes));
  conn.sendFinalize({ type: 'Finalize' });
  await eventually(() => messages.some((m) => m.from_finalize));
  conn.sendCloseStream({ type: 'CloseStream' });
  const close = await closed;
  const finals = messages.filter((m) => m.type === 'Results' && m.is_final);
  // Deepgram sends empty finals (a Finalize with nothing left to flush is answered by one): they add no words.
  return { messages, close, finals, transcript: finals.map((m) => m.channel.alternatives[0].transcript).filter(Boolean).join(' ') };
}

const sha256 = (b: Uint8Array) => new Bun.CryptoHasher('sha256').update(b).digest('hex');

describe('Deepgram live (/v1/listen over WebSocket) with the real SDK', () => {
  it('transcribes PCM16 as the native protocol does, with interims, Finalize, words and Metadata before the close', async () => {
    const clip = librispeech();
    const out = await live(clip.pcm16, { encoding: 'linear16', sample_rate: 16000, interim_results: 'true', punctuate: 'true', smart_format: 'true', keyterm: 'stew' }, 3200);
    // Deepgram's default endpointing is 10 ms of silence: the native session is told the same. smart_format
    // writes it as the native protocol does by default: punctuated, cased, numbers as figures.
    const native = await nativeTranscript(s.server, s.key, clip.pcm16, { endpointing_ms: '10' });
    expect(out.transcript).toBe(native);
    expect(out.transcript).toMatch(/^[A-Z][^]*[a-z][^]*[.?]$/);
    expect(wordErrorRate(clip.reference, out.transcript).rate).toBeLessThan(WER_BOUND.librispeech);
    expect(out.messages.some((m) => m.type === 'Results' && m.is_final === false)).toBe(true);
    const last = out.finals.at(-1)!;
    expect(last).toMatchObject({ channel_index: [0, 1], from_finalize: true, metadata: { model_info: { name: 'gigaspeech-zipformer-3.3M-en' } } });
    const words = out.finals.flatMap((m) => m.channel.alternatives[0].words);
    // Each word as Deepgram gives it: `punctuated_word` as written, `word` lower case without its marks.
    expect(words.map((w: { punctuated_word: string }) => w.punctuated_word).join(' ')).toBe(out.transcript);
    for (const w of words) expect(w.word).toBe(w.punctuated_word.toLowerCase().replace(/[.,?;:]+$/, ''));
    for (const [a, b] of words.slice(1).map((w: { start: number }, i: number) => [words[i], w])) expect(b.start).toBeGreaterThanOrEqual(a.start);
    const metadata = out.messages.at(-1)!;
    expect(metadata).toMatchObject({ type: 'Metadata', channels: 1, sha256: sha256(clip.pcm16), duration: clip.pcm16.length / 32000 });
    expect(out.close.code).toBe(1000);
    // The session is voxlog's like any other: listed, owned by the key's user, marked deepgram.
    const listed = await (await fetch(`${s.server.url}/api/v1/sessions?protocol=deepgram`, { headers: { authorization: `Token ${s.key}` } })).json();
    const row = listed.items.find((r: { id: string }) => r.id === metadata.request_id);
    expect(row).toMatchObject({ protocol: 'deepgram', user_id: s.userId, closed_at: expect.any(String) });
  });

  it('transcribes μ-law at 8 kHz as the native protocol does, and sends SpeechStarted and UtteranceEnd when asked', async () => {
    const prompt = telephonyMulaw();
    // The prompt, then 1.5 s of μ-law silence: time for an UtteranceEnd (1 s without words).
    const bytes = new Uint8Array([...prompt.bytes, ...new Uint8Array(12000).fill(0xff)]);
    const out = await live(bytes, { encoding: 'mulaw', sample_rate: 8000, vad_events: 'true', utterance_end_ms: 1000 }, 160);
    // Without punctuate, numerals or smart_format, Deepgram writes the words alone, lower case.
    const native = await nativeTranscript(s.server, s.key, bytes, { encoding: 'mulaw', sample_rate: '8000', endpointing_ms: '10', format: 'false' });
    expect(out.transcript).toBe(native.toLowerCase());
    expect(wordErrorRate(prompt.reference, out.transcript).rate).toBeLessThan(WER_BOUND.telephony);
    expect(out.messages.filter((m) => m.type === 'SpeechStarted').length).toBeGreaterThan(0);
    // Interim results were not asked for, so none came.
    expect(out.messages.some((m) => m.type === 'Results' && !m.is_final)).toBe(false);
    // Each UtteranceEnd names the end of the last word before a second without words.
    const ends = out.messages.filter((m) => m.type === 'UtteranceEnd');
    expect(ends.length).toBeGreaterThan(0);
    const lastWords = out.finals.map((m) => m.channel.alternatives[0].words.at(-1)?.end).filter((e) => e !== undefined);
    for (const e of ends) expect(lastWords).toContain(e.last_word_end);
    expect(ends.at(-1)!.last_word_end).toBe(lastWords.at(-1));
  });

  it('honours endpointing as Deepgram documents it: N ms of silence ends an utterance (speech_final), false never does', async () => {
    // Two phrases of one clip with 0.6 s of quiet between them, then 1.5 s more.
    const clip = librispeech().pcm16;
    const half = Math.floor(clip.length / 4) * 2;
    const gap = new Uint8Array(19_200);
    const audio = new Uint8Array([...clip.subarray(0, half), ...gap, ...clip.subarray(half), ...new Uint8Array(48_000)]);
    const run = async (endpointing: string) => (await live(audio, { encoding: 'linear16', sample_rate: 16000, endpointing }, 3200)).finals;
    const long = await run('1000');
    const short = await run('300');
    const off = await run('false');
    // Only the 0.6 s pause (and the end) last 300 ms; nothing but the end lasts a second.
    expect(short.filter((m) => m.speech_final).length).toBeGreaterThan(long.filter((m) => m.speech_final).length);
    expect(long.filter((m) => m.speech_final).length).toBeGreaterThanOrEqual(1);
    expect(off.some((m) => m.speech_final)).toBe(false);
  });

  it('takes the key as the `token` subprotocol, as browsers send it', async () => {
    const ws = new WebSocket(`${s.server.url.replace('http', 'ws')}/v1/listen?encoding=linear16&sample_rate=16000`, ['token', s.key]);
    await new Promise((r, j) => ((ws.onopen = r), (ws.onclose = j)));
    expect(ws.protocol).toBe('token');
    const metadata = new Promise<Message>((r) => (ws.onmessage = (e) => JSON.parse(String(e.data)).type === 'Metadata' && r(JSON.parse(String(e.data)))));
    ws.send(new Uint8Array(32_000));
    ws.send('{"type": "CloseStream"}');
    expect((await metadata).duration).toBe(1);
  });

  it('answers a message it does not know with an Error message and keeps the session', async () => {
    const conn = await client.listen.v1.connect({ model: 'nova-3', encoding: 'linear16', sample_rate: 16000, reconnectAttempts: 0 } as never);
    const messages: Message[] = [];
    conn.on('message', (m) => messages.push(m as Message));
    conn.connect();
    const ws = await conn.waitForOpen();
    ws.send('{"type": "Transcribe"}');
    ws.send('not json');
    await eventually(() => messages.filter((m) => m.type === 'Error').length === 2);
    expect(messages[0]).toMatchObject({ type: 'Error', message: 'INVALID_MESSAGE' });
    const clip = librispeech();
    for (let i = 0; i < clip.pcm16.length; i += 3200) conn.sendMedia(clip.pcm16.subarray(i, i + 3200));
    conn.sendFinalize({ type: 'Finalize' });
    await eventually(() => messages.some((m) => m.type === 'Results' && m.from_finalize));
    // A fatal error closes the way Deepgram's do: a close code and a DATA- reason.
    const closed = new Promise<{ code: number; reason: string }>((r) => conn.on('close', (e) => r({ code: e.code, reason: e.reason })));
    conn.sendMedia(new Uint8Array(1024 * 1024));
    expect(await closed).toMatchObject({ code: 1009, reason: expect.stringMatching(/^DATA-0000: audio frame of 1048576 bytes/) });
  });
});

describe('Deepgram pre-recorded (POST /v1/listen) with the real SDK', () => {
  it('transcribes a WAV file as a job, with words, utterances and metadata', async () => {
    const clip = librispeech();
    const wav = pcm16Wav(clip.pcm16);
    const r = (await client.listen.v1.media.transcribeFile(Buffer.from(wav), { model: 'nova-3', utterances: true } as never)) as any;
    const alt = r.results.channels[0].alternatives[0];
    expect(wordErrorRate(clip.reference, alt.transcript).rate).toBeLessThan(WER_BOUND.librispeech);
    expect(alt.words.length).toBe(alt.transcript.split(' ').length);
    expect(r.results.utterances.map((u: { transcript: string }) => u.transcript).join(' ')).toBe(alt.transcript);
    expect(r.metadata).toMatchObject({ sha256: sha256(wav), channels: 1, duration: clip.pcm16.length / 32000 });
    const job = await (await fetch(`${s.server.url}/api/v1/jobs/${r.metadata.request_id}`, { headers: { authorization: `Token ${s.key}` } })).json();
    expect(job).toMatchObject({ source: 'deepgram', status: 'completed' });
  });
});

describe('Deepgram errors, in its shapes', () => {
  const post = (body: BodyInit, headers: Record<string, string>, query = '') => fetch(`${s.server.url}/v1/listen${query}`, { method: 'POST', body, headers: { authorization: `Token ${s.key}`, ...headers } });

  it('refuses a URL to fetch, a corrupt file, headerless audio without a rate, and a bad key, each as {err_code, err_msg}', async () => {
    const byUrl = await post(JSON.stringify({ url: 'https://example.com/a.wav' }), { 'content-type': 'application/json' });
    expect(byUrl.status).toBe(400);
    expect(await byUrl.json()).toMatchObject({ err_code: 'Bad Request', err_msg: expect.stringContaining('does not fetch') });
    const corrupt = await post(crypto.getRandomValues(new Uint8Array(4000)), { 'content-type': 'audio/wav' });
    expect(corrupt.status).toBe(415);
    expect(await corrupt.json()).toMatchObject({ err_code: 'UNSUPPORTED_MEDIA', err_msg: expect.any(String) });
    const noRate = await post(new Uint8Array(3200), { 'content-type': 'application/octet-stream' }, '?encoding=linear16');
    expect((await noRate.json()).err_msg).toContain('sample_rate');
    const typo = await post(new Uint8Array(3200), { 'content-type': 'audio/wav' }, '?model=nvoa-3');
    expect(typo.status).toBe(400);
    expect(await typo.json()).toMatchObject({ err_code: 'Bad Request', err_msg: expect.stringContaining('did you mean nova-3?') });
    const absent = await post(pcm16Wav(librispeech().pcm16), { 'content-type': 'audio/wav' }, '?model=sherpa-onnx-moonshine-tiny-en-int8');
    expect(absent.status).toBe(400);
    expect(await absent.json()).toMatchObject({ err_code: 'Bad Request', voxlog_code: 'model_unavailable', err_msg: expect.stringContaining('models that can run here') });
    const badKey = await fetch(`${s.server.url}/v1/listen`, { method: 'POST', body: new Uint8Array(10), headers: { authorization: 'Token vx_nope' } });
    expect(badKey.status).toBe(401);
    expect(await badKey.json()).toMatchObject({ err_code: 'INVALID_AUTH' });
  });

  it('closes a socket that sends nothing as Deepgram does: 1011 NET-0001', async () => {
    const idle = await startTestServer({ VOXLOG_SESSION_IDLE_MS: '1000' });
    try {
      const ws = new WebSocket(`${idle.url.replace('http', 'ws')}/v1/listen`);
      const closed = await new Promise<{ code: number; reason: string }>((r) => (ws.onclose = (e) => r({ code: e.code, reason: e.reason })));
      expect(closed).toMatchObject({ code: 1011, reason: expect.stringMatching(/^NET-0001: /) });
    } finally {
      await idle.dispose();
    }
  });

  it('fails the handshake for a query it cannot serve, and for no credential', async () => {
    for (const query of ['channels=2', 'encoding=opus', 'interim_results=maybe']) {
      const ws = new WebSocket(`${s.server.url.replace('http', 'ws')}/v1/listen?${query}`, { headers: { authorization: `Token ${s.key}` } } as never);
      const outcome = await new Promise<string>((r) => ((ws.onopen = () => r('open')), (ws.onclose = () => r('refused'))));
      expect(outcome).toBe('refused');
    }
    const ws = new WebSocket(`${s.server.url.replace('http', 'ws')}/v1/listen`);
    expect(await new Promise<string>((r) => ((ws.onopen = () => r('open')), (ws.onclose = () => r('refused'))))).toBe('refused');
  });

  it('answers every bad query with 400 in Deepgram\'s error shape before the upgrade', async () => {
    const bad = ['sample_rate=1', 'sample_rate=abc', 'sample_rate=9999999', 'encoding=mulaw&sample_rate=0', 'interim_results=maybe', 'channels=2', 'encoding=opus', 'model=nvoa-3'];
    for (const query of bad) {
      const r = await fetch(`${s.server.url}/v1/listen?${query}`, {
        headers: { authorization: `Token ${s.key}`, upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      expect({ query, status: r.status }).toEqual({ query, status: 400 });
      const body = (await r.json()) as { err_code: string; err_msg: string };
      expect(body.err_code).toBe('Bad Request');
      expect(body.err_msg.length).toBeGreaterThan(10);
    }
  });
});
