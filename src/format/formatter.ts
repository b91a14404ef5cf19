// The recogniser's words as written text: punctuation and case from voxlog's own model, numbers as
// figures (numerals.ts). Each written word keeps the times of the spoken words it came from.
import { numerals } from './numerals';
import type { Case, Marked, Punctuator } from './punctuator';

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
}

/** What to do: punctuation and case, numbers as figures, or both (Deepgram's `punctuate`, `numerals`, `smart_format`). */
export interface FormatOptions {
  readonly punctuate: boolean;
  readonly numerals: boolean;
}

/** What came before in the same session: the model reads it, and a new sentence starts after it. */
export interface FormatContext {
  readonly words: readonly string[];
  readonly sentenceEnded: boolean;
}

/** Spoken words the model reads before a segment's own. */
export const CONTEXT_WORDS = 16;
const TITLES: Record<string, string> = { mister: 'Mr.', missus: 'Mrs.', doctor: 'Dr.', saint: 'St.' };
const PRONOUN_I = /^i('(m|ll|ve|d))?$/;

export const START: FormatContext = { words: [], sentenceEnded: true };

/** Formats one segment's words; `context` is what the session said before it (`next` gives the context after). */
export async function format(punctuator: Punctuator | undefined, spoken: readonly SpokenWord[], options: FormatOptions, context: FormatContext = START): Promise<Formatted> {
  const raw = spoken.map((w) => w.word);
  let cased = raw;
  let marks: Marked[] = [];
  if (options.punctuate && punctuator) {
    const before = context.words.slice(-CONTEXT_WORDS);
    marks = (await punctuator.mark([...before, ...raw])).slice(before.length);
    cased = raw.map((w, i) => caseWord(w, marks[i]!.case));
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
  return { text: words.map((w) => w.word).join(' '), words, sentenceEnded: words.length === 0 ? context.sentenceEnded : sentenceStart };
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
