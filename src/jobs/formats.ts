// Transcripts as files: plain text, SubRip, WebVTT, voxlog's JSON, and OpenAI's verbose_json.
// Subtitle lines break at word boundaries; a long segment becomes several cues, timed by its words.
import { deflateSync } from 'node:zlib';
import { isTitle } from '../format/formatter';
import type { Segment } from './read';

/** What a transcript file is made from: a segment's written text and its words' times. */
export type TextSegment = Pick<Segment, 'id' | 'text' | 'start_ms' | 'end_ms' | 'words'>;

export const FORMATS = ['txt', 'srt', 'vtt', 'json', 'verbose_json'] as const;
export type Format = (typeof FORMATS)[number];

export interface CueOptions {
  /** Longest line, in characters (a single longer word gets a line of its own). */
  readonly maxLineChars: number;
  readonly maxLines: number;
}

export const DEFAULT_CUES: CueOptions = { maxLineChars: 42, maxLines: 2 };

export interface Cue {
  readonly startMs: number;
  readonly endMs: number;
  readonly lines: readonly string[];
}

interface TimedWord {
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

/** A segment's words with times: the model's, or spread over the segment by length when it gave none. */
function timedWords(s: TextSegment): TimedWord[] {
  if (s.words.length > 0) return s.words.map((w) => ({ word: w.word, start: w.start_ms, end: w.end_ms }));
  const words = s.text.split(/\s+/).filter(Boolean);
  const chars = words.reduce((n, w) => n + w.length + 1, 0);
  let at = s.start_ms;
  return words.map((word) => {
    const span = ((s.end_ms - s.start_ms) * (word.length + 1)) / chars;
    const w = { word, start: Math.round(at), end: Math.round(at + span) };
    at += span;
    return w;
  });
}

/** A cue shows at most this long, and its end waits (into the pause after it) until this many characters a second could be read. */
const MAX_CUE_MS = 7000;
const READING_CPS = 20;
/** Costs of where a cue or a line ends: after a sentence, after a clause, mid-clause; a line or cue of one word; each cue. */
const BREAK_COST = { sentence: 0, clause: 1, phrase: 4 };
const LONE_WORD = 8;
const PER_CUE = 1;
/** A sentence that ends inside a cue whose last sentence runs on past it: the cue reads as two halves. */
const SPLIT_SENTENCE = 2;

const breakCost = (word: string): number => (/[.?!]["')\]]*$/.test(word) && !isTitle(word) ? BREAK_COST.sentence : /[,;:]["')\]]*$/.test(word) ? BREAK_COST.clause : BREAK_COST.phrase);
const chars = (ws: readonly TimedWord[]): number => ws.reduce((n, w) => n + w.word.length, 0) + ws.length - 1;

/**
 * The best way to cut `words` into at most `maxLines` lines of at most `maxChars` (a longer word
 * alone), and its cost: lines end at clauses where they can, are balanced, and never hold one
 * word alone when the cue has more. Undefined when they do not fit.
 */
function splitLines(words: readonly TimedWord[], maxLines: number, maxChars: number): { lines: string[]; cost: number } | undefined {
  const n = words.length;
  // best[k][i]: the cheapest way to set words[0, i) on k lines.
  const best: ({ cost: number; from: number } | undefined)[][] = Array.from({ length: maxLines + 1 }, () => new Array(n + 1).fill(undefined));
  best[0]![0] = { cost: 0, from: 0 };
  for (let k = 1; k <= maxLines; k++) {
    for (let i = 1; i <= n; i++) {
      for (let from = i - 1; from >= 0; from--) {
        const line = words.slice(from, i);
        if (line.length > 1 && chars(line) > maxChars) break;
        const before = best[k - 1]![from];
        if (!before) continue;
        const slack = (maxChars - chars(line)) / maxChars;
        const cost = before.cost + (i < n ? breakCost(words[i - 1]!.word) : 0) + (line.length === 1 && n > 1 ? LONE_WORD : 0) + slack * slack;
        if (!best[k]![i] || cost < best[k]![i]!.cost) best[k]![i] = { cost, from };
      }
    }
  }
  let k = 0;
  for (let j = 1; j <= maxLines; j++) if (best[j]![n] && (k === 0 || best[j]![n]!.cost < best[k]![n]!.cost)) k = j;
  if (k === 0) return undefined;
  const cost = best[k]![n]!.cost;
  const lines: string[] = [];
  for (let i = n; k > 0; k--) {
    const { from } = best[k]![i]!;
    lines.unshift(words.slice(from, i).map((w) => w.word).join(' '));
    i = from;
  }
  return { lines, cost };
}

/**
 * One segment's words as cues: each fits `maxLines` lines of `maxLineChars` and shows at most
 * MAX_CUE_MS, and cues end at sentences, then clauses, rather than wherever the limits fall.
 */
function segmentCues(words: readonly TimedWord[], o: CueOptions): { words: TimedWord[]; lines: string[] }[] {
  const n = words.length;
  const best: ({ cost: number; from: number; lines: string[] } | undefined)[] = new Array(n + 1).fill(undefined);
  best[0] = { cost: 0, from: 0, lines: [] };
  for (let i = 1; i <= n; i++) {
    for (let from = i - 1; from >= 0; from--) {
      const cue = words.slice(from, i);
      if (cue.length > 1 && (chars(cue) > o.maxLines * o.maxLineChars || cue.at(-1)!.end - cue[0]!.start > MAX_CUE_MS)) break;
      const split = splitLines(cue, o.maxLines, o.maxLineChars);
      if (!split || !best[from]) continue;
      const end = i < n ? breakCost(words[i - 1]!.word) : 0;
      const inner = end === BREAK_COST.sentence ? 0 : cue.slice(0, -1).filter((w) => breakCost(w.word) === BREAK_COST.sentence).length * SPLIT_SENTENCE;
      const cost = best[from]!.cost + split.cost + PER_CUE + end + inner + (cue.length === 1 && n > 1 ? LONE_WORD : 0);
      if (!best[i] || cost < best[i]!.cost) best[i] = { cost, from, lines: split.lines };
    }
  }
  const cues: { words: TimedWord[]; lines: string[] }[] = [];
  for (let i = n; i > 0; i = best[i]!.from) cues.unshift({ words: words.slice(best[i]!.from, i), lines: best[i]!.lines });
  return cues;
}

/**
 * Splits segments into cues of at most `maxLines` lines of at most `maxLineChars`, in time order,
 * never overlapping. A cue breaks at a sentence or clause before the limits make it, and stays up
 * into the pause after it until it can be read at READING_CPS.
 */
export function toCues(segments: readonly TextSegment[], o: CueOptions = DEFAULT_CUES): Cue[] {
  const cues: (Cue & { chars: number })[] = [];
  for (const s of segments) {
    const words = timedWords(s);
    const parts = segmentCues(words, o);
    parts.forEach((part, k) => {
      const prevEnd = cues.at(-1)?.endMs ?? 0;
      const startMs = Math.max(prevEnd, k === 0 ? Math.min(part.words[0]!.start, s.start_ms) : part.words[0]!.start);
      const endMs = Math.max(startMs + 1, k === parts.length - 1 ? Math.max(part.words.at(-1)!.end, s.end_ms) : part.words.at(-1)!.end);
      cues.push({ startMs, endMs, lines: part.lines, chars: chars(part.words) });
    });
  }
  return cues.map(({ chars: n, ...c }, i) => {
    const next = cues[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
    return { ...c, endMs: Math.max(c.endMs, Math.min(next, c.startMs + Math.ceil((n / READING_CPS) * 1000))) };
  });
}

const clock = (ms: number, sep: ',' | '.'): string => {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
};

export function toSrt(segments: readonly TextSegment[], o?: CueOptions): string {
  return toCues(segments, o)
    .map((c, i) => `${i + 1}\n${clock(c.startMs, ',')} --> ${clock(c.endMs, ',')}\n${c.lines.join('\n')}\n`)
    .join('\n');
}

export function toVtt(segments: readonly TextSegment[], o?: CueOptions): string {
  // "-->" cannot occur in model output, and cue text needs only & and < escaped.
  const escape = (line: string) => line.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
  return `WEBVTT\n\n${toCues(segments, o)
    .map((c) => `${clock(c.startMs, '.')} --> ${clock(c.endMs, '.')}\n${c.lines.map(escape).join('\n')}\n`)
    .join('\n')}`;
}

export const toText = (segments: readonly TextSegment[]): string => segments.map((s) => `${s.text}\n`).join('');

/** zlib compression ratio of the text, as Whisper reports it (repetitive text compresses well). */
const compressionRatio = (text: string): number => {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length === 0 ? 0 : bytes.length / deflateSync(bytes).length;
};

export interface VerboseOptions {
  readonly language: string;
  readonly durationMs: number;
  readonly temperature: number;
  readonly segments: boolean;
  readonly words: boolean;
}

/** OpenAI's `verbose_json` (seconds): voxlog has no token ids or log-probabilities to give, so those read [] and 0. */
export function toVerboseJson(text: string, segments: readonly TextSegment[], o: VerboseOptions) {
  return {
    task: 'transcribe',
    language: o.language,
    duration: o.durationMs / 1000,
    text,
    ...(o.segments
      ? {
          segments: segments.map((s) => ({
            id: s.id,
            seek: Math.round(s.start_ms / 10),
            start: s.start_ms / 1000,
            end: s.end_ms / 1000,
            text: s.text,
            tokens: [] as number[],
            temperature: o.temperature,
            avg_logprob: 0,
            compression_ratio: compressionRatio(s.text),
            no_speech_prob: 0,
          })),
        }
      : {}),
    ...(o.words ? { words: segments.flatMap((s) => timedWords(s).map((w) => ({ word: w.word, start: w.start / 1000, end: w.end / 1000 }))) } : {}),
  };
}

export const CONTENT_TYPES: Record<Format, string> = {
  txt: 'text/plain; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  json: 'application/json',
  verbose_json: 'application/json',
};
