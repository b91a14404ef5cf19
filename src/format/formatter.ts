// The recogniser's words as written text: punctuation and case from voxlog's own model, numbers as
// figures (numerals.ts). Each written word keeps the times of the spoken words it came from.
import { numerals } from './numerals';
import type { Case, Marked, Marker } from './punctuator';

/** A word as the recogniser gave it, with its times in the session (ms). */
export interface SpokenWord {
  readonly word: string;
  readonly start_ms: number;
  readonly end_ms: number;
}

/** A written word (punctuation attached) and the spoken words [from, to) it stands for. */
export interface WrittenWord {
  readonly word: string;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly from: number;
  readonly to: number;
}

export interface Formatted {
  readonly text: string;
  readonly words: WrittenWord[];
  /** The text ends a sentence ('.' or '?' after its last word). */
  readonly sentenceEnded: boolean;
  /** With punctuation: the model's probability of a sentence end after the last word (0 to 1). */
  readonly endProbability?: number;
}

/** What to do: punctuation and case, numbers as figures, or both (Deepgram's `punctuate`, `numerals`, `smart_format`). */
export interface FormatOptions {
  readonly punctuate: boolean;
  readonly numerals: boolean;
}

/** Finals written as text: punctuation, case and numbers as figures (the default everywhere voxlog's own protocol is spoken). */
export const FORMATTED: FormatOptions = { punctuate: true, numerals: true };
export const UNFORMATTED: FormatOptions = { punctuate: false, numerals: false };
/** `format` values: all of it, none, or one part (punctuation and case; numbers as figures). */
const FORMATS: Record<string, FormatOptions> = { true: FORMATTED, false: UNFORMATTED, punctuate: { punctuate: true, numerals: false }, numerals: { punctuate: false, numerals: true } };
export const FORMAT_VALUES = 'must be true, false, "punctuate" or "numerals"';

/** A `format` setting as written in a query, a form field or JSON; undefined when it is none of FORMAT_VALUES. */
export const parseFormat = (value: string): FormatOptions | undefined => (Object.hasOwn(FORMATS, value) ? FORMATS[value] : undefined);

/** What came before in the same session: the model reads it, and a new sentence starts after it. */
export interface FormatContext {
  readonly words: readonly string[];
  readonly sentenceEnded: boolean;
}

/** Spoken words the model reads before a segment's own. */
export const CONTEXT_WORDS = 16;
/**
 * The model's probability of a sentence end after a paused final's last word above which it ends one:
 * there it sees no next word. At 0.15, unfinished phrases ("i went to the": 0.00) stay open and
 * finished ones at a pause (0.2 to 0.65 on the sentences in test/formatter.unit.test.ts) close.
 */
const END_AT_PAUSE = 0.15;
const TITLES: Record<string, string> = { mister: 'Mr.', missus: 'Mrs.', doctor: 'Dr.', saint: 'St.' };
const WRITTEN_TITLES = new Set(Object.values(TITLES));
/** A title the formatter writes before a name ("Mr."): its dot ends no sentence. */
export const isTitle = (word: string): boolean => WRITTEN_TITLES.has(word);
const PRONOUN_I = /^i('(m|ll|ve|d))?$/;

export const START: FormatContext = { words: [], sentenceEnded: true };

/**
 * Formats one segment's words; `context` is what the session said before it (`next` gives the context
 * after), and `after` what it says next where that is known (a file's transcript; a live final has none).
 * `endsAtPause`: the speaker stopped after it (a live final's endpoint), which makes a sentence end likelier.
 * A segment that continues a sentence starts with its first word as written inside one ("and", but "John").
 */
export async function format(punctuator: Marker | undefined, spoken: readonly SpokenWord[], options: FormatOptions, context: FormatContext = START, after: readonly string[] = [], endsAtPause = false): Promise<Formatted> {
  const raw = spoken.map((w) => w.word);
  let cased = raw;
  let marks: Marked[] = [];
  if (options.punctuate && punctuator) {
    const before = context.words.slice(-CONTEXT_WORDS);
    marks = (await punctuator.mark([...before, ...raw, ...after.slice(0, CONTEXT_WORDS)])).slice(before.length, before.length + raw.length);
    // A live final that ends where the speaker paused has no words after it to show a sentence ended:
    // there a smaller chance of one is enough.
    const last = marks.at(-1);
    if (endsAtPause && after.length === 0 && last && last.punct === '' && last.sentenceEnd >= END_AT_PAUSE) marks[marks.length - 1] = { ...last, punct: '.' };
    cased = raw.map((w, i) => caseWord(w, i === 0 && !context.sentenceEnded ? punctuator.insideCase(w) : marks[i]!.case));
  }
  const tokens = options.numerals ? numerals(cased) : cased.map((text, i) => ({ text, from: i, to: i + 1 }));
  let sentenceStart = context.sentenceEnded;
  const words: WrittenWord[] = tokens.map((t, k) => {
    let text = t.text;
    if (options.punctuate && punctuator) {
      const next = tokens[k + 1]?.text;
      const title = TITLES[text.toLowerCase()];
      if (title && next !== undefined && /^[A-Z]/.test(next)) text = title;
      else if (sentenceStart) text = text.charAt(0).toUpperCase() + text.slice(1);
      const punct = marks[t.to - 1]!.punct;
      if (!text.endsWith(punct)) text += punct;
      sentenceStart = punct === '.' || punct === '?';
    }
    return { word: text, start_ms: spoken[t.from]!.start_ms, end_ms: spoken[t.to - 1]!.end_ms, from: t.from, to: t.to };
  });
  const endProbability = marks.at(-1)?.sentenceEnd;
  return { text: words.map((w) => w.word).join(' '), words, sentenceEnded: words.length === 0 ? context.sentenceEnded : sentenceStart, ...(endProbability === undefined ? {} : { endProbability }) };
}

/**
 * The sentence-end probability after a word, and the share of mid-phrase word boundaries the model
 * scores lower: the quantiles bench section 17 prints for the 1,282 boundaries inside the references of
 * the LibriSpeech, JFK, telephone and synthetic clips that carry no mark (the shipped model, voxlog-punct-en).
 * How unlike the middle of a phrase a pause is.
 */
const MID_PHRASE: readonly (readonly [number, number])[] = [
  [0, 0],
  [0.033, 0.5],
  [0.142, 0.75],
  [0.238, 0.9],
  [0.29, 0.95],
  [0.408, 0.99],
  [1, 1],
];

/**
 * How sure the formatter is that a paused final ends the speaker's turn (0 to 1): the share of
 * mid-phrase pauses its sentence-end probability is above (MID_PHRASE, interpolated). At 0.7 (Deepgram
 * Flux's default threshold) a pause scored like three in ten mid-phrase ones still ends a turn, and
 * three in four sentence ends do; the rest wait for the silence timeout.
 */
export function turnConfidence(endProbability: number): number {
  const p = Math.min(1, Math.max(0, endProbability));
  const k = MID_PHRASE.findIndex(([q]) => q >= p);
  if (k <= 0) return 0;
  const [p0, c0] = MID_PHRASE[k - 1]!;
  const [p1, c1] = MID_PHRASE[k]!;
  return Math.round((c0 + ((c1 - c0) * (p - p0)) / (p1 - p0)) * 1000) / 1000;
}

/** The written words with their times (the spoken words' indices left out), as clients and job segments carry them. */
export const timedWords = (f: Pick<Formatted, 'words'>): { word: string; start_ms: number; end_ms: number }[] => f.words.map(({ word, start_ms, end_ms }) => ({ word, start_ms, end_ms }));

/** A segment as its written text, with the written words' times where the recogniser gave word times. */
export function writtenSegment<S extends { readonly text: string; readonly words: readonly SpokenWord[] }>(segment: S, f: Pick<Formatted, 'text' | 'words'>): S {
  return { ...segment, text: f.text, words: segment.words.length === 0 ? segment.words : timedWords(f) };
}

/** The context for the segment after `spoken`, formatted as `formatted`. */
export function next(context: FormatContext, spoken: readonly SpokenWord[], formatted: Formatted): FormatContext {
  return { words: [...context.words, ...spoken.map((w) => w.word)].slice(-CONTEXT_WORDS), sentenceEnded: formatted.sentenceEnded };
}

function caseWord(word: string, c: Case): string {
  const lower = word.toLowerCase();
  if (PRONOUN_I.test(lower)) return `I${lower.slice(1)}`;
  if (c === 'upper') return word.toUpperCase();
  if (c === 'capital') return lower.charAt(0).toUpperCase() + lower.slice(1);
  return lower;
}

/**
 * Segments in order, each formatted with what came before it as context and the words after it (up
 * to CONTEXT_WORDS, from the next segments and then `after`); and the context after them. With no
 * `after`, the last segment is the end of the transcript: the speaker stopped there.
 */
export async function formatSegments(punctuator: Marker | undefined, segments: readonly (readonly SpokenWord[])[], options: FormatOptions, context = START, after: readonly string[] = []): Promise<{ texts: Formatted[]; context: FormatContext }> {
  const texts: Formatted[] = [];
  for (const [i, spoken] of segments.entries()) {
    const ahead: string[] = [];
    for (const later of segments.slice(i + 1)) {
      if (ahead.length >= CONTEXT_WORDS) break;
      ahead.push(...later.map((w) => w.word));
    }
    // The last segment of a whole transcript ends where the speech did.
    const ends = i === segments.length - 1 && after.length === 0;
    const written = await format(punctuator, spoken, options, context, [...ahead, ...after], ends);
    context = next(context, spoken, written);
    texts.push(written);
  }
  return { texts, context };
}
