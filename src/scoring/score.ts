import levenshtein from 'fast-levenshtein';
import { alignWords, type AlignedWord } from './align';
import { normalizeForScoring, type NormalizeOptions } from './normalize';
import { wordEdits } from './wer';

/** How close a written or spoken attempt came to its reference sentence. */
export interface AttemptScore {
  /** Word error rate: (substituted + missing + extra) / reference words; 1 for an empty attempt. */
  readonly wer: number;
  /** Character error rate over the normalised texts. */
  readonly cer: number;
  /** max(0, 1 - WER): the score a learner sees. */
  readonly accuracy: number;
  readonly reference_words: number;
  readonly substitutions: number;
  readonly deletions: number;
  readonly insertions: number;
  readonly reference_normalized: string;
  readonly hypothesis_normalized: string;
  /** Every reference and hypothesis word, in order, marked. */
  readonly words: readonly AlignedWord[];
}

const rate = (errors: number, total: number): number => (total === 0 ? (errors === 0 ? 0 : 1) : errors / total);
const split = (s: string): string[] => (s === '' ? [] : s.split(' '));

/** Scores `hypothesis` against `reference` after normalising both sides the same way. */
export function scoreAttempt(reference: string, hypothesis: string, options: NormalizeOptions): AttemptScore {
  const refText = normalizeForScoring(reference, options);
  const hypText = normalizeForScoring(hypothesis, options);
  const ref = split(refText);
  const hyp = split(hypText);
  const words = alignWords(ref, hyp);
  const count = (mark: AlignedWord['mark']) => words.filter((w) => w.mark === mark).length;
  const edits = wordEdits(ref, hyp);
  const [substitutions, deletions, insertions] = [count('substituted'), count('missing'), count('extra')];
  // The alignment and the distance are computed apart; they must agree or the feedback would lie.
  if (substitutions + deletions + insertions !== edits) throw new Error(`alignment found ${substitutions + deletions + insertions} edits where the distance is ${edits}`);
  const wer = rate(edits, ref.length);
  return {
    wer,
    cer: rate(levenshtein.get(refText, hypText), refText.length),
    accuracy: Math.max(0, 1 - wer),
    reference_words: ref.length,
    substitutions,
    deletions,
    insertions,
    reference_normalized: refText,
    hypothesis_normalized: hypText,
    words,
  };
}
