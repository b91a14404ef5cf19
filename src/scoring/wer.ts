import levenshtein from 'fast-levenshtein';

/** Lower-cases, drops punctuation (keeping apostrophes) and collapses whitespace, so references and hypotheses compare fairly. */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const words = (text: string): string[] => normalizeText(text).split(' ').filter(Boolean);

/** Edit distance over words: each distinct word becomes one code point so a string distance counts word edits. */
export function wordEdits(ref: readonly string[], hyp: readonly string[]): number {
  const codes = new Map<string, string>();
  const encode = (ws: readonly string[]) => ws.map((w) => codes.get(w) ?? (codes.set(w, String.fromCodePoint(0xe000 + codes.size)), codes.get(w)!)).join('');
  return levenshtein.get(encode(ref), encode(hyp));
}

export interface ErrorRate {
  readonly errors: number;
  readonly reference: number;
  readonly rate: number;
}

/** Word error rate of a hypothesis against a reference (both normalised). */
export function wordErrorRate(reference: string, hypothesis: string): ErrorRate {
  const ref = words(reference);
  const errors = wordEdits(ref, words(hypothesis));
  return { errors, reference: ref.length, rate: ref.length === 0 ? (errors === 0 ? 0 : 1) : errors / ref.length };
}

/** Character error rate over the normalised texts. */
export function charErrorRate(reference: string, hypothesis: string): ErrorRate {
  const ref = normalizeText(reference);
  const errors = levenshtein.get(ref, normalizeText(hypothesis));
  return { errors, reference: ref.length, rate: ref.length === 0 ? (errors === 0 ? 0 : 1) : errors / ref.length };
}

/** Pools error counts over many utterances (the corpus-level rate, not a mean of rates). */
export function pooled(rates: readonly ErrorRate[]): ErrorRate {
  const errors = rates.reduce((n, r) => n + r.errors, 0);
  const reference = rates.reduce((n, r) => n + r.reference, 0);
  return { errors, reference, rate: reference === 0 ? 0 : errors / reference };
}
