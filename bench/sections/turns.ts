// Turns: how soon after a person stops speaking the final comes (at real time, one stream), how
// soon a client's finalize is answered, what voice-activity endpointing does to accuracy and to
// segment boundaries, and what skipping silence does to capacity. Each beside its baseline, measured
// in the same run: the model's own endpoint rule (`vad=false`: every sample decoded, 1.2 s of trailing blanks).
import { finals as finalsOf, streamAudio } from '../../src/client/stream-client';
import type { ServerMessage } from '../../src/server/protocol';
import { normalizeText, pooled, wordErrorRate, type ErrorRate } from '../../src/scoring/wer';
import type { Item } from './accuracy';
import { pct, startServerProcess, type ServerProcess } from '../lib/proc';

type Final = Extract<ServerMessage, { type: 'final' }>;
type Query = Record<string, string>;

export const BASELINE: Query = { vad: 'false' };
/** The offline test fixture: inaccurate, but its finals are timed like any offline model's. */
const OFFLINE_MODEL = 'tiny-offline-bigru-ctc-en';
export const OFFLINE_DEFAULT = `offline model (${OFFLINE_MODEL}), default`;
export const OFFLINE_BASELINE = `offline model (${OFFLINE_MODEL}), endpointing_ms=500 (its old default)`;

export interface Distribution {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly n: number;
}

export interface LatencyRow {
  /** What followed each clip: `noise` (±30 LSB) or `digital` (zeros). */
  readonly silence: 'noise' | 'digital';
  readonly setting: string;
  /**
   * Arrival of the final holding the clip's last word, from the end of speech: that word's end as the
   * default model times it in one whole decode of the clip (the same instant for every row, whatever
   * model the row runs; a small CTC model's own word ends fall up to 200 ms early).
   */
  readonly from_last_word_ms: Distribution;
  /** The same, from the end of the clip (the moment its last sample was spoken). */
  readonly from_clip_end_ms: Distribution;
  /** First partial of each segment, from the start of its first word. */
  readonly first_partial_ms: Distribution;
}

export interface SetAccuracy {
  readonly set: string;
  readonly clips: number;
  readonly words: number;
  readonly wer: number;
  readonly wer_baseline: number;
  readonly segments: number;
  readonly segments_baseline: number;
  /** Segment boundaries that cut a word of the other decode (see `splits`). */
  readonly words_split: number;
  readonly words_split_baseline: number;
}

export interface TurnsResult {
  readonly frame_ms: number;
  readonly clips: number;
  readonly latency: readonly LatencyRow[];
  readonly finalize_ms: Distribution;
  readonly finalize_baseline_ms: Distribution;
  readonly accuracy: readonly SetAccuracy[];
}

const dist = (xs: number[]): Distribution => ({ p50: pct(xs, 50), p90: pct(xs, 90), p95: pct(xs, 95), n: xs.length });

/** A fixed pseudo-random tail of ±`lsb` PCM16 noise (or zeros), `ms` long at `rate`. */
function tail(ms: number, rate: number, lsb: number): Uint8Array<ArrayBuffer> {
  const n = Math.round((ms * rate) / 1000);
  const out = new Uint8Array(n * 2);
  const view = new DataView(out.buffer);
  let s = 11;
  for (let i = 0; i < n && lsb > 0; i++) view.setInt16(i * 2, Math.round(((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * lsb), true);
  return out;
}

interface Timed {
  /** Wall time (ms) at which audio time 0 was spoken: audio time x was spoken at `t0 + x`. */
  readonly t0: number;
  readonly arrivals: { readonly m: ServerMessage; readonly at: number }[];
  /** When each finalize was sent. */
  readonly finalizes: number[];
}

/**
 * Streams PCM16 at real time as a microphone would (each `frameMs` frame sent once it has been
 * spoken), sending `finalize` at the given audio times; closes after the audio and collects everything.
 */
function paced(server: ServerProcess, audio: Uint8Array<ArrayBuffer>, rate: number, frameMs: number, query: Query, finalizeAtMs: number[] = []): Promise<Timed> {
  const frameBytes = Math.round((rate * frameMs) / 1000) * 2;
  const arrivals: Timed['arrivals'] = [];
  const finalizes: number[] = [];
  const ws = new WebSocket(server.wsUrl({ sample_rate: String(rate), ...query }));
  return new Promise((resolve, reject) => {
    let t0 = 0;
    ws.onerror = () => reject(new Error('socket error'));
    ws.onmessage = (e) => arrivals.push({ m: JSON.parse(String(e.data)) as ServerMessage, at: performance.now() });
    ws.onclose = () => resolve({ t0, arrivals, finalizes });
    ws.onopen = async () => {
      t0 = performance.now();
      const pending = [...finalizeAtMs];
      for (let i = 0; i * frameBytes < audio.length; i++) {
        const wait = t0 + (i + 1) * frameMs - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        ws.send(audio.subarray(i * frameBytes, (i + 1) * frameBytes));
        while (pending.length > 0 && pending[0]! <= (i + 1) * frameMs) {
          pending.shift();
          finalizes.push(performance.now());
          ws.send(JSON.stringify({ type: 'finalize' }));
        }
      }
      ws.send(JSON.stringify({ type: 'close' }));
    };
  });
}

/** One clip's figures from a paced run: the final that holds the clip's last word, and first partials. */
function clipLatency(run: Timed, clipMs: number, speechEndMs: number): { lastWord: number; clipEnd: number; firstPartials: number[] } | undefined {
  const finals = run.arrivals.filter((a) => a.m.type === 'final' && (a.m as Final).words.length > 0) as { m: Final; at: number }[];
  // The last word of the clip: the latest word that ends within it (a word cannot end in the silence after it).
  const last = finals.filter((f) => f.m.words.at(-1)!.end_ms <= clipMs + 100 && f.m.reason !== 'close').at(-1);
  const firstPartials: number[] = [];
  const seen = new Map<number, number>();
  for (const a of run.arrivals) if (a.m.type === 'partial' && !seen.has(a.m.segment)) seen.set(a.m.segment, a.at);
  for (const f of finals) {
    const at = seen.get(f.m.segment);
    if (at !== undefined) firstPartials.push(at - (run.t0 + f.m.words[0]!.start_ms));
  }
  if (!last) return undefined;
  return { lastWord: last.at - (run.t0 + speechEndMs), clipEnd: last.at - (run.t0 + clipMs), firstPartials };
}

/**
 * Where speech ends in each clip: its last word's end in the default model's whole decode of it
 * (`vad=false`, no segment cut near the end); undefined for a clip it finds no word in.
 */
async function speechEnds(server: ServerProcess, items: Item[]): Promise<(number | undefined)[]> {
  const runs = await decodeAll(server, items, BASELINE);
  return runs.map((fs, i) => {
    const clipMs = (items[i]!.audio.length / 2 / items[i]!.sampleRate) * 1000;
    return fs.flatMap((f) => f.words).filter((w) => w.end_ms <= clipMs + 100).at(-1)?.end_ms;
  });
}

/** End of speech → final over `items`, one stream at a time, each clip followed by `tailMs` of silence. */
async function latency(server: ServerProcess, items: Item[], ends: (number | undefined)[], query: Query, silence: LatencyRow['silence'], setting: string, frameMs: number, tailMs: number): Promise<LatencyRow> {
  const lastWord: number[] = [];
  const clipEnd: number[] = [];
  const firstPartial: number[] = [];
  for (const [i, it] of items.entries()) {
    const speechEndMs = ends[i];
    if (speechEndMs === undefined) continue;
    const clipMs = (it.audio.length / 2 / it.sampleRate) * 1000;
    const audio = new Uint8Array(it.audio.length + tail(tailMs, it.sampleRate, 0).length);
    audio.set(it.audio);
    audio.set(tail(tailMs, it.sampleRate, silence === 'noise' ? 30 : 0), it.audio.length);
    const r = clipLatency(await paced(server, audio, it.sampleRate, frameMs, query), clipMs, speechEndMs);
    if (!r) continue;
    lastWord.push(r.lastWord);
    clipEnd.push(r.clipEnd);
    firstPartial.push(...r.firstPartials);
  }
  return { silence, setting, from_last_word_ms: dist(lastWord), from_clip_end_ms: dist(clipEnd), first_partial_ms: dist(firstPartial) };
}

/** `finalize` sent every `everyMs` of audio while clips stream at real time: from sending it to its final. */
async function finalizeLatency(server: ServerProcess, items: Item[], query: Query, frameMs: number, everyMs: number): Promise<number[]> {
  const out: number[] = [];
  for (const it of items) {
    const clipMs = (it.audio.length / 2 / it.sampleRate) * 1000;
    const at = Array.from({ length: Math.floor(clipMs / everyMs) }, (_, i) => (i + 1) * everyMs);
    const run = await paced(server, it.audio, it.sampleRate, frameMs, query, at);
    const answers = run.arrivals.filter((a) => a.m.type === 'final' && (a.m as Final).reason === 'finalize').map((a) => a.at);
    // Each finalize that flushed words is answered by one final before the next finalize is sent.
    for (const sent of run.finalizes) {
      const answer = answers.find((t) => t >= sent && t < sent + everyMs);
      if (answer !== undefined) out.push(answer - sent);
    }
  }
  return out;
}

/** Finals (with words) of every item at full speed, four sessions at a time. */
async function decodeAll(server: ServerProcess, items: Item[], query: Query): Promise<Final[][]> {
  const out: Final[][] = [];
  for (let i = 0; i < items.length; i += 4) {
    const batch = items.slice(i, i + 4);
    const runs = await Promise.all(
      batch.map((it) =>
        streamAudio({ url: server.wsUrl({ encoding: it.encoding, sample_rate: String(it.sampleRate), interim_ms: '0', ...query }), audio: it.audio, frameBytes: Math.round(it.sampleRate / 10) * (it.encoding === 'pcm16' ? 2 : 1) }),
      ),
    );
    out.push(...runs.map((r) => finalsOf(r.messages)));
  }
  return out;
}

/**
 * Segment boundaries of `a` (each final's end but the last) that cut a word: the boundary lies in
 * sound (see `inSound`), a word of the uncut decode `b` spans it (20 ms either side) and is neither
 * the word before the cut nor the one after it, and one of those two is no word of the reference
 * (FELLOW against FELL | OW). The model times a word to the start of the next, across any pause, and
 * may spell a word differently without what follows it (CONSOLE against CONSOL | IF, where the cut
 * lies in digital silence), so the words alone over-count.
 */
function splits(a: Final[], b: Final[], item: Item): number {
  const words = b.flatMap((f) => f.words);
  const known = new Set(normalizeText(item.reference).split(' '));
  const isWord = (w: string | undefined) => w !== undefined && known.has(normalizeText(w));
  const sound = inSound(item);
  let n = 0;
  a.slice(0, -1).forEach((f, i) => {
    const before = f.words.at(-1)?.word;
    const after = a[i + 1]!.words[0]?.word;
    const across = words.find((w) => w.start_ms < f.end_ms - 20 && w.end_ms > f.end_ms + 20);
    if (sound(f.end_ms) && across && across.word !== before && across.word !== after && !(isWord(before) && isWord(after))) n++;
  });
  return n;
}

/** Window (ms) over which `inSound` takes the audio's level. */
const LEVEL_MS = 32;

/**
 * Whether an instant of a PCM16 clip lies in sound: the 32 ms windows just before and after it are
 * not both 40 dB or more below the clip's loud level (its 95th percentile window). A pause in a
 * telephone prompt is digital silence (about -96 dBFS) and a stop consonant's closure inside a word
 * about 35 dB below the vowels around it.
 */
function inSound(item: Item): (ms: number) => boolean {
  const pcm = new Int16Array(item.audio.slice(0, item.audio.byteLength & ~1).buffer);
  const size = Math.round((item.sampleRate * LEVEL_MS) / 1000);
  const level: number[] = [];
  for (let at = 0; at + size <= pcm.length; at += size) {
    let energy = 0;
    for (let i = at; i < at + size; i++) energy += (pcm[i]! / 32768) ** 2;
    level.push(10 * Math.log10(energy / size + 1e-12));
  }
  const loud = pct(level, 95);
  return (ms) => {
    const w = Math.round(ms / LEVEL_MS);
    return Math.max(level[w - 1] ?? -Infinity, level[w] ?? -Infinity) > loud - 40;
  };
}

async function accuracyBySet(server: ServerProcess, sets: Map<string, Item[]>): Promise<SetAccuracy[]> {
  const rows: SetAccuracy[] = [];
  for (const [set, items] of sets) {
    const [on, off] = [await decodeAll(server, items, {}), await decodeAll(server, items, BASELINE)];
    const rate = (runs: Final[][]) => pooled(runs.map((fs, i) => wordErrorRate(items[i]!.reference, fs.map((f) => f.raw_text ?? f.text).join(' ')))) as ErrorRate;
    const w = rate(on);
    rows.push({
      set,
      clips: items.length,
      words: w.reference,
      wer: w.rate,
      wer_baseline: rate(off).rate,
      segments: on.reduce((n, fs) => n + fs.length, 0),
      segments_baseline: off.reduce((n, fs) => n + fs.length, 0),
      words_split: on.reduce((n, fs, i) => n + splits(fs, off[i]!, items[i]!), 0),
      words_split_baseline: off.reduce((n, fs, i) => n + splits(fs, on[i]!, items[i]!), 0),
    });
  }
  return rows;
}

export interface TurnsPlan {
  /** Real speech clips, streamed one at a time at real time. */
  readonly clips: Item[];
  /** Sets for WER and split words, at full speed. */
  readonly sets: Map<string, Item[]>;
  readonly tailMs: number;
  /** Endpointing settings to measure besides the default. */
  readonly endpointing: number[];
  readonly frameMs: number;
  readonly finalizeEveryMs: number;
}

export async function turns(plan: TurnsPlan, say: (s: string) => void): Promise<TurnsResult> {
  const server = await startServerProcess();
  try {
    const ends = await speechEnds(server, plan.clips); // also loads the model
    const latencyRows: LatencyRow[] = [];
    const runs: [Query, LatencyRow['silence'], string][] = [
      [{}, 'noise', 'default'],
      [BASELINE, 'noise', 'baseline (model rule)'],
      [{}, 'digital', 'default'],
      [BASELINE, 'digital', 'baseline (model rule)'],
      ...plan.endpointing.map((e): [Query, LatencyRow['silence'], string] => [{ endpointing_ms: String(e) }, 'noise', `endpointing_ms=${e}`]),
      // An offline model (Silero segments, each decoded whole) under the same setting, beside its old default of 500 ms.
      [{ model: OFFLINE_MODEL }, 'noise', OFFLINE_DEFAULT],
      [{ model: OFFLINE_MODEL, endpointing_ms: '500' }, 'noise', OFFLINE_BASELINE],
    ];
    for (const [query, silence, setting] of runs) {
      const row = await latency(server, plan.clips, ends, query, silence, setting, plan.frameMs, plan.tailMs);
      latencyRows.push(row);
      say(`   ${setting}, ${silence} after: end of speech → final p50/p90 ${row.from_last_word_ms.p50.toFixed(0)}/${row.from_last_word_ms.p90.toFixed(0)} ms (n=${row.from_last_word_ms.n})`);
    }
    const fin = await finalizeLatency(server, plan.clips, {}, plan.frameMs, plan.finalizeEveryMs);
    const finBase = await finalizeLatency(server, plan.clips, BASELINE, plan.frameMs, plan.finalizeEveryMs);
    const accuracy = await accuracyBySet(server, plan.sets);
    return { frame_ms: plan.frameMs, clips: plan.clips.length, latency: latencyRows, finalize_ms: dist(fin), finalize_baseline_ms: dist(finBase), accuracy };
  } finally {
    await server.stop();
  }
}
