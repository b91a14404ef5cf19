// The protocols voice-agent frameworks and telephony stacks speak, against one voxlog server with auth
// on and a self-signed certificate (the SDKs that insist on wss:// get it): AssemblyAI's and OpenAI's
// real SDKs in a process of their own (trusting the certificate by NODE_EXTRA_CA_CERTS), and clients
// written from the published protocols for Deepgram Flux, vosk-server and sherpa-onnx's server.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { wordErrorRate } from '../src/scoring/wer';
import { librispeech, nativeTranscript, startAuthedServer, telephonyMulaw, type AuthedServer } from './helpers/adapters';
import { concat, loadClip, pcm16At24k, silence } from './helpers/audio';
import { eventually, finals, stream } from './helpers/server';
import type { SdkRun } from './helpers/sdk-client';
import { selfSignedCertificate } from './helpers/tls';

/** Measured through these adapters (the same words as native): 0.071 on the LibriSpeech clip, 0.095 on the μ-law prompt. */
const WER_BOUND = { librispeech: 0.15, telephony: 0.3 };

let s: AuthedServer;
let certificate: { cert: string; key: string };
let ca: string;
const scratch = mkdtempSync(join(tmpdir(), 'voxlog-agents-'));
beforeAll(async () => {
  certificate = selfSignedCertificate();
  s = await startAuthedServer({ VOXLOG_TLS_CERT: certificate.cert, VOXLOG_TLS_KEY: certificate.key });
  ca = s.server.tls!.ca;
});
afterAll(() => s.server.dispose());

type Event = { type: string; [k: string]: any };

/** Runs a vendor SDK in a child process against the server; what it saw. */
async function sdk(name: string, audio: Uint8Array, run: Omit<SdkRun, 'url' | 'key' | 'audioPath'> & { key?: string }): Promise<any> {
  const audioPath = join(scratch, `${crypto.randomUUID()}.raw`);
  writeFileSync(audioPath, audio);
  const proc = Bun.spawn(['bun', join(import.meta.dir, 'helpers/sdk-client.ts'), name, JSON.stringify({ url: s.server.url, key: s.key, audioPath, ...run })], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.cert },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${name} client exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/** A client written from a protocol's documentation: its frames as they come (JSON parsed), over wss. */
function rawSocket(path: string, headers: Record<string, string> = { authorization: `Token ${s.key}` }) {
  const ws = new WebSocket(`${s.server.url.replace(/^http/, 'ws')}${path}`, { headers, tls: { ca } } as never);
  ws.binaryType = 'arraybuffer';
  const got: any[] = [];
  ws.onmessage = (e) => got.push(typeof e.data === 'string' && e.data.startsWith('{') ? JSON.parse(e.data) : e.data);
  const opened = new Promise<void>((r) => ws.addEventListener('open', () => r()));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.addEventListener('close', (e) => r({ code: e.code, reason: e.reason })));
  return { ws, got, opened, closed };
}

/** A handshake's status and body for a query (the refusal comes before any upgrade). */
async function handshake(path: string, headers: Record<string, string> = { authorization: `Token ${s.key}` }) {
  const r = await fetch(`${s.server.url}${path}`, {
    headers: { ...headers, upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    tls: { ca },
  } as never);
  return { status: r.status, body: await r.text() };
}


const sessionsOf = async (protocol: string) =>
  ((await (await fetch(`${s.server.url}/api/v1/sessions?protocol=${protocol}&limit=500`, { headers: { authorization: `Token ${s.key}` }, tls: { ca } } as never)).json()) as { items: { id: string; protocol: string; user_id: string }[] }).items;
/** A session's row once its close has reached the view. */
const sessionRow = (protocol: string, id: string) => eventually(async () => (await sessionsOf(protocol)).find((r) => r.id === id));

describe('TLS', () => {
  it('serves https and wss with VOXLOG_TLS_CERT and VOXLOG_TLS_KEY; one without the other, or a missing file, stops the start', async () => {
    expect(s.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${s.server.url}/health`, { tls: { ca } } as never)).status).toBe(200);
    expect(() => loadConfig({ VOXLOG_TLS_CERT: certificate.cert })).toThrow(/VOXLOG_TLS_CERT and VOXLOG_TLS_KEY go together/);
    expect(() => loadConfig({ VOXLOG_TLS_CERT: certificate.cert, VOXLOG_TLS_KEY: '/nowhere/key.pem' })).toThrow(/VOXLOG_TLS_KEY=\/nowhere\/key\.pem does not exist/);
  });
});

describe('AssemblyAI Universal-Streaming v3 (/v3/ws) with the real SDK', () => {
  it('transcribes as the native protocol does: turns with words, the end of turn, and the formatted turn', async () => {
    const clip = librispeech();
    const out = await sdk('assemblyai', clip.pcm16, { sampleRate: 16000, chunkBytes: 3200, params: { formatTurns: true, keytermsPrompt: ['stew'] } });
    // keyterms_prompt is accepted and said to be unsupported. (Read the id first: Bun's toMatchObject writes its matchers into what it checks.)
    const sessionId: string = out.begin.id;
    expect(out.begin).toMatchObject({ type: 'Begin', id: expect.any(String), expires_at: expect.any(Number), unsupported_parameters: ['keyterms_prompt'] });
    const turns: Event[] = out.events.filter((e: Event) => e.type === 'Turn');
    const ended = turns.filter((t) => t.end_of_turn && !t.turn_is_formatted);
    const formatted = turns.filter((t) => t.turn_is_formatted);
    expect(ended.length).toBeGreaterThan(0);
    expect(formatted.length).toBe(ended.length);
    // min_turn_silence and max_turn_silence (AssemblyAI's defaults) are the native endpointing and utterance end.
    const native = { endpointing_ms: '400', utterance_end_ms: '1280' };
    expect(formatted.map((t) => t.transcript).join(' ')).toBe(await nativeTranscript(s.server, s.key, clip.pcm16, native));
    expect(ended.map((t) => t.transcript).join(' ')).toBe((await nativeTranscript(s.server, s.key, clip.pcm16, { ...native, format: 'false' })).toLowerCase());
    expect(wordErrorRate(clip.reference, ended.map((t) => t.transcript).join(' ')).rate).toBeLessThan(WER_BOUND.librispeech);
    for (const t of ended) {
      expect(t.words.every((w: { word_is_final: boolean }) => w.word_is_final)).toBe(true);
      expect(t.words.map((w: { text: string }) => w.text).join(' ')).toBe(t.transcript);
      for (let i = 1; i < t.words.length; i++) expect(t.words[i].start).toBeGreaterThanOrEqual(t.words[i - 1].start);
      expect(t.end_of_turn_confidence).toBeGreaterThanOrEqual(0);
      expect(t.end_of_turn_confidence).toBeLessThanOrEqual(1);
    }
    // Before a turn ends its words still changing come too, marked not final.
    expect(turns.some((t) => !t.end_of_turn && t.words.some((w: { word_is_final: boolean }) => !w.word_is_final))).toBe(true);
    const row = await sessionRow('assemblyai', sessionId);
    expect(row).toMatchObject({ protocol: 'assemblyai', user_id: s.userId });
  });

  it('keeps a turn open through a pause inside a phrase, where silence alone (threshold 0) ends it', async () => {
    const clip = librispeech();
    const words = finals((await stream(s.server.wsUrl({ token: s.key, format: 'false' }), clip.pcm16, 3200, ca)).messages).flatMap((f) => f.words);
    // "he hoped there would | be stew for dinner": 700 ms of silence after "would", then the rest.
    const would = words.find((w) => w.word.toLowerCase() === 'would')!;
    const cut = Math.round((would.end_ms / 1000) * 16000) * 2;
    const audio = concat([clip.pcm16.subarray(0, cut), silence(0.7), clip.pcm16.subarray(cut), silence(1.5)]);
    const endsOf = async (params: Record<string, unknown>) => {
      const out = await sdk('assemblyai', audio, { sampleRate: 16000, chunkBytes: 3200, params });
      return out.events.filter((e: Event) => e.type === 'Turn' && e.end_of_turn).map((t: Event) => t.transcript as string);
    };
    // The formatter is not sure "he hoped there would ..." ends a sentence: the turn goes on past the pause.
    const confident = await endsOf({});
    expect(confident[0]).toMatch(/^he hoped there would .*dinner/);
    const silenceOnly = await endsOf({ endOfTurnConfidenceThreshold: 0.000001 });
    expect(silenceOnly[0]).toMatch(/^he hoped there would/);
    expect(silenceOnly[0]).not.toMatch(/dinner/);
  });

  it('ends a turn on ForceEndpoint, on μ-law at 8 kHz, and works with a temporary token', async () => {
    const prompt = telephonyMulaw();
    const out = await sdk('assemblyai-token', prompt.bytes, { sampleRate: 8000, encoding: 'pcm_mulaw', chunkBytes: 800, forceEnd: true });
    expect(out.token).toMatch(/^ey/);
    const ended = out.events.filter((e: Event) => e.type === 'Turn' && e.end_of_turn);
    expect(ended.length).toBeGreaterThan(0);
    expect(wordErrorRate(prompt.reference, ended.map((t: Event) => t.transcript).join(' ')).rate).toBeLessThan(WER_BOUND.telephony);
    expect(await sessionRow('assemblyai', out.begin.id)).toMatchObject({ protocol: 'assemblyai' });
  });

  it('refuses a query it cannot serve before the upgrade, takes the bare API key, and answers a bad message with an Error', async () => {
    for (const query of ['encoding=opus', 'end_of_turn_confidence_threshold=2', 'min_turn_silence=800&max_turn_silence=400', 'format_turns=maybe', 'speech_model=nope', 'sample_rate=1']) {
      const r = await handshake(`/v3/ws?${query}`, { authorization: s.key });
      expect({ query, status: r.status }).toEqual({ query, status: 400 });
    }
    expect((await handshake('/v3/ws', {})).status).toBe(401);
    const c = rawSocket('/v3/ws?sample_rate=16000', { authorization: s.key });
    await c.opened;
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ type: 'Nope' }));
    c.ws.send(JSON.stringify({ type: 'UpdateConfiguration', end_of_turn_confidence_threshold: 7 }));
    c.ws.send(silence(0.2));
    c.ws.send(JSON.stringify({ type: 'Terminate' }));
    expect((await c.closed).code).toBe(1000);
    const errors = c.got.filter((m) => m.type === 'Error');
    expect(errors.map((e) => e.error_code)).toEqual([3006, 3006, 3006]);
    expect(errors[2].error).toMatch(/end_of_turn_confidence_threshold/);
    expect(c.got[0].type).toBe('Begin');
    expect(c.got.at(-1)).toMatchObject({ type: 'Termination', audio_duration_seconds: 0 });
  });
});

describe('OpenAI Realtime transcription (/v1/realtime?intent=transcription) with the real SDK', () => {
  it('with server VAD: one item per pause, deltas, and transcripts as the native protocol writes them', async () => {
    const clip = librispeech();
    const audio = pcm16At24k(clip.pcm16);
    const out = await sdk('openai', audio, { sampleRate: 24000, chunkBytes: 4800, forceEnd: true });
    expect(out.errors).toEqual([]);
    const types = out.events.map((e: Event) => e.type);
    expect(types[0]).toBe('session.created');
    expect(types).toContain('session.updated');
    const completed = out.events.filter((e: Event) => e.type === 'conversation.item.input_audio_transcription.completed');
    const committed = out.events.filter((e: Event) => e.type === 'input_audio_buffer.committed');
    expect(completed.length).toBeGreaterThan(0);
    expect(committed.map((e: Event) => e.item_id)).toEqual(completed.map((e: Event) => e.item_id));
    // Each item follows the one before it.
    expect(committed.slice(1).map((e: Event) => e.previous_item_id)).toEqual(committed.slice(0, -1).map((e: Event) => e.item_id));
    expect(new Set(completed.map((e: Event) => e.item_id)).size).toBe(completed.length);
    expect(types.filter((t: string) => t === 'input_audio_buffer.speech_started').length).toBe(completed.length);
    expect(types).toContain('conversation.item.input_audio_transcription.delta');
    // server_vad's silence_duration_ms (500 by default) is the native endpointing, and the silence after a segment's last word that ends an item.
    const native = await nativeTranscript(s.server, s.key, audio as Uint8Array<ArrayBuffer>, { sample_rate: '24000', endpointing_ms: '500', utterance_end_ms: '500' });
    expect(completed.map((e: Event) => e.transcript).join(' ')).toBe(native);
    expect(wordErrorRate(clip.reference, native).rate).toBeLessThan(WER_BOUND.librispeech);
    const sessionId = out.events[0].session.id.replace(/^sess_/, '');
    expect(await sessionRow('openai', sessionId)).toMatchObject({ user_id: s.userId });
  });

  it('without turn detection: one item, at the commit; G.711 μ-law; an unknown event is an error in OpenAI\'s shape', async () => {
    const prompt = telephonyMulaw();
    const out = await sdk('openai', prompt.bytes, { sampleRate: 8000, encoding: 'audio/pcmu', chunkBytes: 800, forceEnd: true, params: { turn_detection: null }, extraEvent: { type: 'response.create' } });
    const completed = out.events.filter((e: Event) => e.type === 'conversation.item.input_audio_transcription.completed');
    expect(completed.length).toBe(1);
    expect(wordErrorRate(prompt.reference, completed[0].transcript).rate).toBeLessThan(WER_BOUND.telephony);
    expect(out.errors.length).toBe(1);
    expect(out.errors[0]).toMatch(/response\.create/);
    const error = out.events.find((e: Event) => e.type === 'error');
    expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request_error', message: expect.stringMatching(/unknown or unsupported event type/) });
  });

  it('refuses a conversation (model=) and no intent before the upgrade', async () => {
    expect((await handshake('/v1/realtime?model=gpt-4o-realtime-preview')).status).toBe(400);
    expect((await handshake('/v1/realtime')).status).toBe(400);
    expect((await handshake('/v1/realtime?intent=transcription', {})).status).toBe(401);
  });
});

describe('Deepgram Flux (/v2/listen), a client written from its protocol', () => {
  /** Streams audio at full speed and closes; the TurnInfo events. */
  async function flux(query: string, audio: Uint8Array<ArrayBuffer>, frameBytes = 3200) {
    const c = rawSocket(`/v2/listen?${query}`);
    await c.opened;
    for (let i = 0; i < audio.length; i += frameBytes) c.ws.send(audio.subarray(i, i + frameBytes));
    c.ws.send(JSON.stringify({ type: 'CloseStream' }));
    const close = await c.closed;
    return { close, got: c.got, turns: c.got.filter((m) => m.type === 'TurnInfo') };
  }

  it('tells each turn as StartOfTurn, Updates and EndOfTurn, with the native protocol\'s written text', async () => {
    const clip = librispeech();
    const out = await flux('model=flux-general-en&encoding=linear16&sample_rate=16000', concat([clip.pcm16, silence(1)]));
    const requestId: string = out.got[0].request_id;
    expect(out.got[0]).toMatchObject({ type: 'Connected', request_id: expect.any(String), sequence_id: 0 });
    expect(out.got.map((m) => m.sequence_id)).toEqual(out.got.map((_, i) => i));
    const ends = out.turns.filter((t) => t.event === 'EndOfTurn');
    expect(ends.length).toBeGreaterThan(0);
    for (const end of ends) {
      const mine = out.turns.filter((t) => t.turn_index === end.turn_index).map((t) => t.event);
      expect(mine[0]).toBe('StartOfTurn');
      expect(mine.at(-1)).toBe('EndOfTurn');
      expect(mine).toContain('Update');
    }
    expect(ends.map((t) => t.transcript).join(' ')).toBe(await nativeTranscript(s.server, s.key, concat([clip.pcm16, silence(1)]), { utterance_end_ms: '5000' }));
    expect(out.close.code).toBe(1000);
    expect(await sessionRow('flux', requestId)).toMatchObject({ protocol: 'flux', user_id: s.userId });
  });

  it('says EagerEndOfTurn below eot_threshold, then TurnResumed or EndOfTurn; Configure changes the thresholds', async () => {
    // JFK's "and so my fellow americans, | ask | not | what your country can do for you": pauses the formatter is unsure of.
    const clip = loadClip('jfk', 'jfk.wav');
    const out = await flux('model=flux-general-en&eager_eot_threshold=0.3&eot_threshold=0.9&eot_timeout_ms=800', concat([clip.pcm16, silence(1.5)]));
    const events = out.turns.map((t) => t.event);
    expect(events).toContain('EagerEndOfTurn');
    expect(events).toContain('TurnResumed');
    for (const [i, t] of out.turns.entries()) {
      if (t.event !== 'EagerEndOfTurn') continue;
      const after = out.turns.slice(i + 1).find((u) => u.turn_index === t.turn_index && (u.event === 'TurnResumed' || u.event === 'EndOfTurn'));
      expect(after).toBeDefined();
    }
    const c = rawSocket('/v2/listen?model=flux-general-en');
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'Configure', thresholds: { eot_threshold: 0.95 } }));
    c.ws.send(JSON.stringify({ type: 'Configure', thresholds: { eot_threshold: 0.8, eot_timeout_ms: 3000 } }));
    c.ws.send(JSON.stringify({ type: 'CloseStream' }));
    await c.closed;
    expect(c.got.filter((m) => m.type.startsWith('Configure')).map((m) => m.type)).toEqual(['ConfigureFailure', 'ConfigureSuccess']);
  });

  it('refuses a query it cannot serve before the upgrade', async () => {
    for (const query of ['', 'model=flux-general-en&eot_threshold=0.95', 'model=flux-general-en&eager_eot_threshold=0.8&eot_threshold=0.6', 'model=flux-general-en&eot_timeout_ms=99', 'model=flux-general-en&encoding=opus', 'model=nvoa-3', 'model=flux-general-en&sample_rate=1']) {
      expect({ query, status: (await handshake(`/v2/listen?${query}`)).status }).toEqual({ query, status: 400 });
    }
  });
});

describe('LiveKit Agents speech-to-text plugins pointed at voxlog', () => {
  // What a voice agent built on LiveKit Agents runs: the plugin's stream, fed AudioFrames, over wss.
  const speech = () => concat([librispeech().pcm16, silence(1.5)]);
  const finalsOf = (out: { events: { type: string; text?: string }[] }) => out.events.filter((e) => e.type === 'FINAL_TRANSCRIPT').map((e) => e.text!);

  it('Deepgram Flux (STTv2): start and end of speech around each turn, its written transcript as the final', async () => {
    const out = await sdk('livekit-flux', speech(), { sampleRate: 16000, chunkBytes: 20 });
    const types = out.events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('START_OF_SPEECH');
    expect(types.filter((t: string) => t === 'START_OF_SPEECH').length).toBe(types.filter((t: string) => t === 'END_OF_SPEECH').length);
    expect(types).toContain('INTERIM_TRANSCRIPT');
    const texts = finalsOf(out);
    expect(texts.join(' ')).toBe(await nativeTranscript(s.server, s.key, speech(), { utterance_end_ms: '5000' }));
    expect(wordErrorRate(librispeech().reference, texts.join(' ')).rate).toBeLessThan(WER_BOUND.librispeech);
  });

  it('OpenAI realtime STT: each item\'s completed transcript as a final, written', async () => {
    const out = await sdk('livekit-openai', speech(), { sampleRate: 16000, chunkBytes: 20 });
    const texts = finalsOf(out);
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) expect(t).toMatch(/^[A-Z][^]*[.?]$/);
    expect(wordErrorRate(librispeech().reference, texts.join(' ')).rate).toBeLessThan(WER_BOUND.librispeech);
  });
});

describe('vosk-server protocol (/vosk), a client written from it', () => {
  it('answers every message as vosk-server does: partials, results with timed words, the final result at eof', async () => {
    const clip = { ...loadClip('telephony', 'pcm16/demo-congrats.wav'), reference: telephonyMulaw().reference };
    const c = rawSocket('/vosk');
    await c.opened;
    c.ws.send(JSON.stringify({ config: { sample_rate: 8000, words: 1 } }));
    // vosk's own example client: send a chunk, read its answer, repeat.
    let answers = 0;
    for (let i = 0; i < clip.pcm16.length; i += 1600) {
      c.ws.send(clip.pcm16.subarray(i, i + 1600));
      answers++;
      await eventually(() => c.got.length >= answers);
    }
    expect(c.got.length).toBe(answers);
    c.ws.send(JSON.stringify({ eof: 1 }));
    expect((await c.closed).code).toBe(1000);
    expect(c.got.length).toBe(answers + 1);
    expect(c.got.at(-1)).toHaveProperty('text');
    const results = c.got.filter((m) => 'text' in m);
    const text = results.map((m) => m.text).filter(Boolean).join(' ');
    const native = await nativeTranscript(s.server, s.key, clip.pcm16, { sample_rate: '8000', format: 'false' });
    expect(text).toBe(native.toLowerCase());
    expect(wordErrorRate(clip.reference, text).rate).toBeLessThan(WER_BOUND.telephony);
    const words = results.flatMap((m) => m.result ?? []);
    expect(words.map((w: { word: string }) => w.word).join(' ')).toBe(text);
    for (const w of words) expect(w).toMatchObject({ conf: 1, start: expect.any(Number), end: expect.any(Number) });
    expect(c.got.some((m) => typeof m.partial === 'string' && m.partial.length > 0)).toBe(true);
  });
});

describe('sherpa-onnx WebSocket protocol (/sherpa), a client written from it', () => {
  it('takes float32 samples and Done, and answers with its results and Done!', async () => {
    const clip = librispeech();
    const float = new Uint8Array(clip.samples.slice().buffer);
    const c = rawSocket('/sherpa');
    await c.opened;
    for (let i = 0; i < float.length; i += 6400) c.ws.send(float.subarray(i, i + 6400));
    c.ws.send('Done');
    await c.closed;
    expect(c.got.at(-1)).toBe('Done!');
    const results = c.got.filter((m) => typeof m === 'object');
    const finalTexts = results.filter((m) => m.is_final).map((m) => m.text);
    expect(finalTexts.join(' ')).toBe(await nativeTranscript(s.server, s.key, clip.pcm16, { format: 'false' }));
    expect(results.some((m) => !m.is_final)).toBe(true);
    for (const m of results.filter((r) => r.is_final)) expect(m.tokens.length).toBe(m.timestamps.length);
  });
});
