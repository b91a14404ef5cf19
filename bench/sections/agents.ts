// Section 17: the voice-agent protocols. The same real 16 kHz clips at real time, at once, through
// voxlog's native protocol (the baseline) and each adapter: WER, and end of speech → the message that
// ends the turn (native: the final; AssemblyAI: the formatted end-of-turn Turn; Flux: EndOfTurn; OpenAI:
// the item's completed transcript; vosk: its result; sherpa: is_final). Then the turn layer's point:
// each clip again with a 700 ms pause inserted inside a phrase, counting turns ended at the pause by
// each protocol's default thresholds against silence alone. And the measurement turnConfidence's
// table comes from: the formatter's sentence-end probability at the ends of the references and at
// their unmarked word boundaries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Punctuator } from '../../src/format/punctuator';
import { turnConfidence } from '../../src/format/formatter';
import { normalizeText, wordErrorRate } from '../../src/scoring/wer';
import { AUDIO_DIR, pcm16At24k } from '../../test/helpers/audio';
import type { Item } from './accuracy';
import { pct, startServerProcess } from '../lib/proc';
import { paced, split } from './protocols';

/** An end of turn (or final) as a client reads it: its text, the end of its last word (session ms), and when it arrived. */
type End = { text: string; lastWordEndMs: number; at: number };
type Reader = (m: any) => Omit<End, 'at'> | null;

export interface AgentRow {
  readonly protocol: string;
  readonly clips: number;
  readonly words: number;
  readonly wer: number;
  /** Arrival of the message that ends the clip's last turn, from the end of its last word (native's timing of it). */
  readonly end_of_speech_ms: { p50: number; p90: number; max: number };
}

export interface PauseRow {
  readonly setting: string;
  readonly clips: number;
  /** Turns (or finals) that ended at the inserted mid-phrase pause. */
  readonly ended_at_pause: number;
  readonly end_of_speech_ms: { p50: number; p90: number };
}

export interface AgentsResult {
  readonly rows: readonly AgentRow[];
  readonly pauses: readonly PauseRow[];
  readonly calibration: { readonly ends: number; readonly mids: number; readonly mid_quantiles: Record<string, number>; readonly shares: readonly { confidence: number; ends_above: number; mids_above: number }[] };
}

/** The end (session ms) of the last word in a list whose times are in `unit` ms (1: ms, 1000: seconds). */
const lastEnd = (words: readonly { end?: number; end_ms?: number }[] | undefined, unit = 1) => {
  const w = words?.at(-1);
  return w ? (w.end_ms ?? w.end ?? 0) * (w.end_ms === undefined ? unit : 1) : 0;
};

/** How each protocol is connected, fed and read. */
interface Client {
  readonly name: string;
  readonly path: string;
  /** Frames sent before the audio. */
  readonly start?: readonly string[];
  /** The audio (16 kHz PCM16) as this protocol's frames. */
  readonly frames: (pcm16: Uint8Array) => readonly (string | Uint8Array)[];
  readonly end: string;
  readonly read: () => Reader;
  /** The server does not close after `end` (OpenAI's commit): the client does, once the answers stop. */
  readonly clientCloses?: boolean;
}

const toFloat = (pcm16: Uint8Array) => {
  const i16 = new Int16Array(pcm16.buffer.slice(pcm16.byteOffset, pcm16.byteOffset + pcm16.length));
  return new Uint8Array(Float32Array.from(i16, (v) => v / 32768).buffer);
};


const FRAME = 3200;

/** The clients, with `aai` and `flux` the AssemblyAI and Flux query settings (defaults when empty). */
function clients(aai = '', flux = ''): Client[] {
  const pcm = (b: Uint8Array) => split(b, FRAME);
  return [
    { name: 'native', path: '/ws/transcribe?', frames: pcm, end: '{"type":"close"}', read: () => (m) => (m.type === 'final' && m.text ? { text: m.text, lastWordEndMs: lastEnd(m.words) } : null) },
    {
      name: 'assemblyai',
      path: `/v3/ws?sample_rate=16000&format_turns=true&${aai}`,
      frames: pcm,
      end: '{"type":"Terminate"}',
      read: () => (m) => (m.type === 'Turn' && m.end_of_turn && m.turn_is_formatted ? { text: m.transcript, lastWordEndMs: lastEnd(m.words) } : null),
    },
    {
      name: 'flux',
      path: `/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000&${flux}`,
      frames: pcm,
      end: '{"type":"CloseStream"}',
      read: () => (m) => (m.type === 'TurnInfo' && m.event === 'EndOfTurn' ? { text: m.transcript, lastWordEndMs: m.audio_window_end * 1000 } : null),
    },
    {
      name: 'openai',
      path: '/v1/realtime?intent=transcription',
      start: [JSON.stringify({ type: 'session.update', session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model: 'gpt-4o-transcribe' } } } } })],
      frames: (b) => split(pcm16At24k(b), (FRAME * 3) / 2).map((f) => JSON.stringify({ type: 'input_audio_buffer.append', audio: Buffer.from(f).toString('base64') })),
      end: '{"type":"input_audio_buffer.commit"}',
      clientCloses: true,
      read: () => {
        let stopped = 0;
        return (m) => {
          if (m.type === 'input_audio_buffer.speech_stopped') stopped = m.audio_end_ms;
          return m.type === 'conversation.item.input_audio_transcription.completed' ? { text: m.transcript, lastWordEndMs: stopped } : null;
        };
      },
    },
    {
      name: 'vosk',
      path: '/vosk?',
      start: ['{"config":{"sample_rate":16000,"words":1}}'],
      frames: pcm,
      end: '{"eof":1}',
      read: () => (m) => (typeof m.text === 'string' && m.text !== '' ? { text: m.text, lastWordEndMs: lastEnd(m.result, 1000) } : null),
    },
    {
      name: 'sherpa',
      path: '/sherpa?',
      frames: (b) => split(toFloat(b), FRAME * 2),
      end: 'Done',
      read: () => (m) => (m.is_final && m.text ? { text: m.text, lastWordEndMs: (m.start_time + (m.timestamps.at(-1) ?? 0)) * 1000 } : null),
    },
  ];
}

/** One client at real time: its ends of turn, and when its first frame went out. */
async function run(base: string, c: Client, audio: Uint8Array): Promise<{ t0: number; ends: End[] }> {
  const ws = new WebSocket(`${base}${c.path}`);
  ws.binaryType = 'arraybuffer';
  const ends: End[] = [];
  const read = c.read();
  const closed = new Promise<void>((r) => (ws.onclose = () => r()));
  let lastMessage = performance.now();
  ws.onmessage = (e) => {
    lastMessage = performance.now();
    if (typeof e.data !== 'string' || !e.data.startsWith('{')) return;
    const end = read(JSON.parse(e.data));
    if (end) ends.push({ ...end, at: performance.now() });
  };
  await new Promise((r) => (ws.onopen = r));
  for (const s of c.start ?? []) ws.send(s);
  const frames = c.frames(audio);
  const t0 = await paced(frames, (FRAME / 32000) * 1000, (f) => ws.send(f as string | Uint8Array<ArrayBuffer>));
  ws.send(c.end);
  if (c.clientCloses) {
    const until = performance.now() + 15_000;
    while (performance.now() < until && !(ends.length > 0 && performance.now() - lastMessage > 1000)) await Bun.sleep(50);
    ws.close();
  }
  await closed;
  return { t0, ends };
}

const dist = (xs: readonly number[]) => ({ p50: pct(xs, 50), p90: pct(xs, 90), max: Math.max(...xs) });

/** Where in a clip to pause inside a phrase: the boundary nearest its middle after a written word with no mark (from the native finals). */
function midPhrase(words: readonly { word: string; start_ms: number; end_ms: number }[]): number | undefined {
  const inner = words.slice(1, -2).filter((w) => !/[.,?!;:]$/.test(w.word));
  const middle = (words.at(-1)?.end_ms ?? 0) / 2;
  return inner.sort((a, b) => Math.abs(a.end_ms - middle) - Math.abs(b.end_ms - middle))[0]?.end_ms;
}

/** The formatter's sentence-end probability at the references' ends and their unmarked inner word boundaries (turnConfidence's table). */
async function calibration(sets: readonly string[]): Promise<AgentsResult['calibration']> {
  const p = await Punctuator.load();
  const ends: number[] = [];
  const mids: number[] = [];
  for (const set of sets) {
    for (const line of readFileSync(join(AUDIO_DIR, set, 'trans.tsv'), 'utf8').trim().split('\n')) {
      const raw = line.split('\t')[1]!.split(/\s+/);
      const words = raw.map((w) => normalizeText(w)).filter(Boolean);
      if (words.length < 4 || words.length !== raw.length) continue;
      ends.push((await p.mark(words)).at(-1)!.sentenceEnd);
      for (let i = 1; i < words.length - 2; i++) if (!/[.,?!;:]$/.test(raw[i]!)) mids.push((await p.mark(words.slice(0, i + 1))).at(-1)!.sentenceEnd);
    }
  }
  const share = (xs: number[], c: number) => xs.filter((x) => turnConfidence(x) >= c).length / xs.length;
  return {
    ends: ends.length,
    mids: mids.length,
    mid_quantiles: Object.fromEntries([50, 75, 90, 95, 99].map((q) => [`p${q}`, Math.round(pct(mids, q) * 1000) / 1000])),
    shares: [0.4, 0.5, 0.7, 0.9].map((confidence) => ({ confidence, ends_above: share(ends, confidence), mids_above: share(mids, confidence) })),
  };
}

export async function agents(o: { clips: readonly Item[]; tailMs: number; calibrationSets: readonly string[] }, say: (s: string) => void): Promise<AgentsResult> {
  const clips = o.clips.filter((c) => c.sampleRate === 16000 && c.encoding === 'pcm16');
  const tail = new Uint8Array(Math.round((o.tailMs / 1000) * 16000) * 2);
  const server = await startServerProcess({ VOXLOG_DEFAULT_MODEL: '' });
  const base = server.url.replace('http', 'ws');
  const all = clients();
  const texts = new Map<string, { refs: string[]; hyps: string[]; lags: number[] }>(all.map((c) => [c.name, { refs: [], hyps: [], lags: [] }]));
  const pauses = new Map<string, { ended: number; clips: number; lags: number[] }>();
  try {
    await run(base, all[0]!, new Uint8Array(32_000));
    for (const [i, clip] of clips.entries()) {
      const audio = new Uint8Array([...clip.audio, ...tail]);
      const outs = await Promise.all(all.map((c) => run(base, c, audio)));
      // The end of speech: the clip's last word's end as the native protocol times it, the same instant for every protocol.
      const speechEnd = outs[0]!.ends.at(-1)?.lastWordEndMs ?? clip.audio.length / 32;
      for (const [k, c] of all.entries()) {
        const { t0, ends } = outs[k]!;
        const t = texts.get(c.name)!;
        t.refs.push(clip.reference);
        t.hyps.push(ends.map((e) => e.text).join(' '));
        const last = ends.at(-1);
        if (last) t.lags.push(last.at - (t0 + speechEnd));
      }
      say(`   clip ${i + 1}/${clips.length} (${clip.name}): ${all.map((c, k) => `${c.name} ${Math.round(texts.get(c.name)!.lags.at(-1) ?? Number.NaN)} ms`).join(', ')}`);
    }
    // A 700 ms pause inside a phrase of each clip: does the protocol end the turn there?
    const settings: { setting: string; client: Client }[] = [
      { setting: 'native final (every pause of endpointing_ms=200)', client: all[0]! },
      { setting: 'AssemblyAI, defaults (threshold 0.4, min 400 ms, max 1280 ms)', client: all[1]! },
      { setting: 'AssemblyAI, silence alone (threshold 0)', client: clients('end_of_turn_confidence_threshold=0')[1]! },
      { setting: 'Flux, defaults (eot_threshold 0.7, eot_timeout_ms 5000)', client: all[2]! },
      { setting: 'Flux, eot_timeout_ms=1500', client: clients('', 'eot_timeout_ms=1500')[2]! },
    ];
    for (const clip of clips) {
      const cutMs = midPhrase(await wordsOf(base, clip.audio));
      if (cutMs === undefined) continue;
      const cut = Math.round((cutMs / 1000) * 16000) * 2;
      const audio = new Uint8Array([...clip.audio.subarray(0, cut), ...new Uint8Array(22_400), ...clip.audio.subarray(cut), ...tail]);
      const outs = await Promise.all(settings.map((s) => run(base, s.client, audio)));
      const speechEnd = outs[0]!.ends.at(-1)?.lastWordEndMs ?? (audio.length - tail.length) / 32;
      for (const [k, s] of settings.entries()) {
        const p = pauses.get(s.setting) ?? { ended: 0, clips: 0, lags: [] };
        const { t0, ends } = outs[k]!;
        p.clips++;
        // An end within 300 ms of the pause's start ended the turn at the pause.
        if (ends.some((e) => Math.abs(e.lastWordEndMs - cutMs) < 300)) p.ended++;
        const last = ends.at(-1);
        if (last) p.lags.push(last.at - (t0 + speechEnd));
        pauses.set(s.setting, p);
      }
    }
  } finally {
    await server.stop();
  }
  const rows = all.map((c): AgentRow => {
    const t = texts.get(c.name)!;
    return { protocol: c.name, clips: t.refs.length, words: t.refs.join(' ').split(/\s+/).length, wer: wordErrorRate(t.refs.join(' '), t.hyps.join(' ')).rate, end_of_speech_ms: dist(t.lags) };
  });
  const pauseRows = [...pauses].map(([setting, p]): PauseRow => ({ setting, clips: p.clips, ended_at_pause: p.ended, end_of_speech_ms: { p50: pct(p.lags, 50), p90: pct(p.lags, 90) } }));
  return { rows, pauses: pauseRows, calibration: await calibration(o.calibrationSets) };
}

/** The native protocol's words of a clip (written, so a mark says where a phrase ends), at full speed. */
async function wordsOf(base: string, pcm16: Uint8Array): Promise<{ word: string; start_ms: number; end_ms: number }[]> {
  const ws = new WebSocket(`${base}/ws/transcribe`);
  const words: { word: string; start_ms: number; end_ms: number }[] = [];
  const closed = new Promise<void>((r) => (ws.onclose = () => r()));
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data));
    if (m.type === 'final') words.push(...(m.formatted_words ?? m.words));
  };
  await new Promise((r) => (ws.onopen = r));
  for (const f of split(pcm16, FRAME)) ws.send(f as Uint8Array<ArrayBuffer>);
  ws.send('{"type":"close"}');
  await closed;
  return words;
}
