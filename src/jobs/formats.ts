// Transcripts as files: plain text, SubRip, WebVTT, voxlog's JSON, and OpenAI's verbose_json.
// Subtitle lines break at word boundaries; a long segment becomes several cues, timed by its words.
import { deflateSync } from 'node:zlib';
import type { Segment } from './read';

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
function timedWords(s: Segment): TimedWord[] {
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

/** Splits segments into cues of at most `maxLines` lines of at most `maxLineChars`, in time order, never overlapping. */
export function toCues(segments: readonly Segment[], o: CueOptions = DEFAULT_CUES): Cue[] {
  const cues: Cue[] = [];
  for (const s of segments) {
    const words = timedWords(s);
    let lines: string[] = [];
    let first: TimedWord | undefined;
    let last: TimedWord | undefined;
    const flush = (isLastOfSegment: boolean) => {
      if (!first || !last) return;
      const prevEnd = cues.at(-1)?.endMs ?? 0;
      const startMs = Math.max(prevEnd, cues.length === 0 || first === words[0] ? Math.min(first.start, s.start_ms) : first.start);
      const endMs = Math.max(startMs + 1, isLastOfSegment ? Math.max(last.end, s.end_ms) : last.end);
      cues.push({ startMs, endMs, lines });
      (lines = []), (first = undefined);
    };
    for (const w of words) {
      const line = lines.at(-1);
      if (line !== undefined && line.length + 1 + w.word.length <= o.maxLineChars) lines[lines.length - 1] = `${line} ${w.word}`;
      else {
        if (lines.length === o.maxLines) flush(false);
        lines.push(w.word);
      }
      first ??= w;
      last = w;
    }
    flush(true);
  }
  return cues;
}

const clock = (ms: number, sep: ',' | '.'): string => {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
};

export function toSrt(segments: readonly Segment[], o?: CueOptions): string {
  return toCues(segments, o)
    .map((c, i) => `${i + 1}\n${clock(c.startMs, ',')} --> ${clock(c.endMs, ',')}\n${c.lines.join('\n')}\n`)
    .join('\n');
}

export function toVtt(segments: readonly Segment[], o?: CueOptions): string {
  // "-->" cannot occur in model output, and cue text needs only & and < escaped.
  const escape = (line: string) => line.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
  return `WEBVTT\n\n${toCues(segments, o)
    .map((c) => `${clock(c.startMs, '.')} --> ${clock(c.endMs, '.')}\n${c.lines.map(escape).join('\n')}\n`)
    .join('\n')}`;
}

export const toText = (segments: readonly Segment[]): string => segments.map((s) => `${s.text}\n`).join('');

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
export function toVerboseJson(text: string, segments: readonly Segment[], o: VerboseOptions) {
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
