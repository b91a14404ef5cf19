// Section 11: the protocol adapters. The same clips streamed at real time, at once, through each
// adapter and through the native protocol (the baseline): WER of each, and the final lag each client
// sees (arrival of a final minus the moment its audio ended). LibriSpeech at 16 kHz goes through
// Deepgram's socket and Wyoming; telephony prompts as 8 kHz μ-law through Deepgram's socket and
// Twilio Media Streams (whose finals arrive by the webhook).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wordErrorRate } from '../../src/scoring/wer';
import { AUDIO_DIR, concat, loadClip, references } from '../../test/helpers/audio';
import { connectWyoming } from '../../test/helpers/wyoming';
import { startServerProcess } from '../lib/proc';

type Final = { text: string; startMs: number; endMs: number; at: number };
export type ProtocolRow = { protocol: string; input: string; clips: number; words: number; wer: number; native_wer: number; final_lag_ms: number; native_final_lag_ms: number; finals: number };
export type ProtocolsResult = { rows: ProtocolRow[] };

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Sends `frames` one every `intervalMs` (real time); returns when the first went out. */
export async function paced<T>(frames: readonly T[], intervalMs: number, send: (f: T, i: number) => void): Promise<number> {
  const t0 = performance.now();
  for (const [i, f] of frames.entries()) {
    const due = t0 + i * intervalMs;
    if (due > performance.now()) await Bun.sleep(due - performance.now());
    send(f, i);
  }
  return t0;
}

export const split = (audio: Uint8Array, bytes: number) => Array.from({ length: Math.ceil(audio.length / bytes) }, (_, i) => audio.subarray(i * bytes, (i + 1) * bytes));

/** A WebSocket client that streams `frames`, then sends `end`, collecting finals until the server closes. */
async function wsClient(url: string, frames: readonly Uint8Array[], intervalMs: number, wrap: (f: Uint8Array, i: number) => string | Uint8Array, end: string, read: (m: any) => Omit<Final, 'at'> | null) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const finals: Final[] = [];
  const closed = new Promise<void>((r) => (ws.onclose = () => r()));
  ws.onmessage = (e) => {
    const f = typeof e.data === 'string' ? read(JSON.parse(e.data)) : null;
    if (f) finals.push({ ...f, at: performance.now() });
  };
  await new Promise((r) => (ws.onopen = r));
  const t0 = await paced(frames, intervalMs, (f, i) => ws.send(wrap(f, i) as string | Uint8Array<ArrayBuffer>));
  ws.send(end);
  await closed;
  return { t0, finals };
}

/** A Wyoming client (as Home Assistant's): transcribe, audio-start, chunks, audio-stop; chunks are timed against the session's segments. */
async function wyomingClient(port: number, frames: readonly Uint8Array[], intervalMs: number) {
  const c = await connectWyoming(port);
  const format = { rate: 16000, width: 2, channels: 1 };
  c.write('transcribe', { language: 'en' });
  c.write('audio-start', format);
  const t0 = await paced(frames, intervalMs, (f) => c.write('audio-chunk', format, f));
  c.write('audio-stop');
  await c.next('transcript');
  c.socket.end();
  return { t0, arrivals: c.events.filter((e) => e.type === 'transcript-chunk').map((e) => e.at) };
}

interface Clip {
  readonly reference: string;
  readonly audio: Uint8Array;
  readonly speechMs: number;
}

function librispeechClips(files: readonly string[]): Clip[] {
  // 2 s of silence after the speech lets the endpoint rule end it, as a pause in a conversation would.
  return files.map((f) => loadClip('librispeech', f)).map((c) => ({ reference: c.reference, audio: concat([c.pcm16, new Uint8Array(64_000)]), speechMs: c.pcm16.length / 32 }));
}

function telephonyClips(stems: readonly string[]): Clip[] {
  const refs = references('telephony');
  return stems.map((s) => {
    const bytes = new Uint8Array(readFileSync(join(AUDIO_DIR, 'telephony', 'mulaw', `${s}.ulaw`)));
    // μ-law silence is 0xFF.
    return { reference: refs.get(s)!, audio: concat([bytes, new Uint8Array(16_000).fill(0xff)]), speechMs: bytes.length / 8 };
  });
}

/** Finals that start within the speech (the model hears "AND" in long digital silence), their text and lags. */
function score(finals: readonly Final[], t0: number, speechMs: number) {
  const kept = finals.filter((f) => f.startMs < speechMs && f.text !== '');
  return { text: kept.map((f) => f.text).join(' '), lags: kept.map((f) => f.at - (t0 + f.endMs)) };
}

export async function protocols(o: { librispeech: readonly string[]; telephony: readonly string[] }): Promise<ProtocolsResult> {
  const hooks: { body: any; at: number }[] = [];
  const receiver = Bun.serve({ port: 0, fetch: async (req) => (hooks.push({ body: await req.json(), at: performance.now() }), new Response('ok')) });
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const wyomingPort = probe.port;
  probe.stop(true);
  const server = await startServerProcess({ VOXLOG_DEFAULT_MODEL: '', VOXLOG_WYOMING_PORT: String(wyomingPort), VOXLOG_TWILIO_WEBHOOK_URL: `http://127.0.0.1:${receiver.port}/`, VOXLOG_TWILIO_WEBHOOK_SECRET: 'bench-secret' });
  const ws = server.url.replace('http', 'ws');
  // Every protocol writes text here (Deepgram with smart_format; the others by default), so WERs compare like with like.
  const native = (m: any) => (m.type === 'final' ? { text: m.text, startMs: m.start_ms, endMs: m.end_ms } : null);
  const deepgram = (m: any) => (m.type === 'Results' && m.is_final ? { text: m.channel.alternatives[0].transcript, startMs: m.start * 1000, endMs: (m.start + m.duration) * 1000 } : null);
  const collected = new Map<string, { refs: string[]; hyps: string[]; lags: number[] }>();
  const add = (key: string, reference: string, s: { text: string; lags: number[] }) => {
    const c = collected.get(key) ?? { refs: [], hyps: [], lags: [] };
    c.refs.push(reference), c.hyps.push(s.text.toUpperCase()), c.lags.push(...s.lags);
    collected.set(key, c);
  };
  try {
    // Warm the model so the first clip measures no load.
    await wsClient(`${ws}/ws/transcribe`, split(new Uint8Array(32_000), 3200), 0, (f) => f, '{"type":"close"}', native);
    for (const clip of librispeechClips(o.librispeech)) {
      const frames = split(clip.audio, 3200);
      const [n, d, w] = await Promise.all([
        wsClient(`${ws}/ws/transcribe`, frames, 100, (f) => f, '{"type":"close"}', native),
        wsClient(`${ws}/v1/listen?encoding=linear16&sample_rate=16000&model=nova-3&smart_format=true`, frames, 100, (f) => f, '{"type":"CloseStream"}', deepgram),
        wyomingClient(wyomingPort, frames, 100),
      ]);
      add('native pcm16', clip.reference, score(n.finals, n.t0, clip.speechMs));
      add('deepgram pcm16', clip.reference, score(d.finals, d.t0, clip.speechMs));
      // Wyoming's chunks carry no times: the nth chunk is the session's nth segment.
      const listed = (await (await fetch(`${server.url}/api/v1/sessions?protocol=wyoming&limit=1`)).json()) as { items: { id: string }[] };
      const segments = ((await (await fetch(`${server.url}/api/v1/sessions/${listed.items[0]!.id}`)).json()) as { segments: { content: string; start_ms: number; end_ms: number }[] }).segments;
      add('wyoming pcm16', clip.reference, score(segments.map((s, i) => ({ text: s.content, startMs: s.start_ms, endMs: s.end_ms, at: w.arrivals[i] ?? Number.NaN })), w.t0, clip.speechMs));
    }
    for (const [i, clip] of telephonyClips(o.telephony).entries()) {
      const frames = split(clip.audio, 160);
      const callSid = `CA-bench-${i}`;
      let seq = 0;
      const media = (f: Uint8Array, c: number) => JSON.stringify({ event: 'media', sequenceNumber: String(++seq + 1), streamSid: 'MZ', media: { track: 'inbound', chunk: String(c + 1), timestamp: String(c * 20), payload: Buffer.from(f).toString('base64') } });
      const twilio = (async () => {
        const start = JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid: 'MZ', start: { streamSid: 'MZ', callSid, tracks: ['inbound'], customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } });
        const sock = new WebSocket(`${ws}/v1/twilio`);
        const closed = new Promise<void>((r) => (sock.onclose = () => r()));
        await new Promise((r) => (sock.onopen = r));
        sock.send(start);
        const t0 = await paced(frames, 20, (f, c) => sock.send(media(f, c)));
        sock.send(JSON.stringify({ event: 'stop', sequenceNumber: String(++seq + 1), streamSid: 'MZ' }));
        await closed;
        return t0;
      })();
      const [n, d, t0] = await Promise.all([
        wsClient(`${ws}/ws/transcribe?encoding=mulaw&sample_rate=8000`, frames, 20, (f) => f, '{"type":"close"}', native),
        wsClient(`${ws}/v1/listen?encoding=mulaw&sample_rate=8000&smart_format=true`, frames, 20, (f) => f, '{"type":"CloseStream"}', deepgram),
        twilio,
      ]);
      add('native mulaw', clip.reference, score(n.finals, n.t0, clip.speechMs));
      add('deepgram mulaw', clip.reference, score(d.finals, d.t0, clip.speechMs));
      await Bun.sleep(500);
      const mine = hooks.filter((h) => h.body.call_sid === callSid).map((h) => ({ text: h.body.text, startMs: h.body.start_ms, endMs: h.body.end_ms, at: h.at }));
      add('twilio mulaw', clip.reference, score(mine, t0, clip.speechMs));
    }
  } finally {
    await server.stop();
    receiver.stop(true);
  }
  const figures = (key: string) => {
    const c = collected.get(key)!;
    return { wer: wordErrorRate(c.refs.join(' '), c.hyps.join(' ')).rate, lag: mean(c.lags), clips: c.refs.length, words: c.refs.join(' ').split(/\s+/).length, finals: c.lags.length };
  };
  const row = (protocol: string, input: 'pcm16' | 'mulaw'): ProtocolRow => {
    const a = figures(`${protocol} ${input}`);
    const n = figures(`native ${input}`);
    return { protocol, input: input === 'pcm16' ? 'LibriSpeech, 16 kHz PCM16' : 'telephony, 8 kHz μ-law', clips: a.clips, words: a.words, wer: a.wer, native_wer: n.wer, final_lag_ms: a.lag, native_final_lag_ms: n.lag, finals: a.finals };
  };
  return { rows: [row('deepgram', 'pcm16'), row('wyoming', 'pcm16'), row('deepgram', 'mulaw'), row('twilio', 'mulaw')] };
}
