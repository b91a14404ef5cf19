// Word-level feedback: which reference words a learner got, changed, left out, or added.

export type WordMark = 'correct' | 'substituted' | 'missing' | 'extra';

/** One step of the alignment: a reference word, a hypothesis word, or both. */
export interface AlignedWord {
  readonly mark: WordMark;
  /** The reference word (null for an extra word). */
  readonly ref: string | null;
  /** What was written or said (null for a missing word). */
  readonly hyp: string | null;
}

/**
 * A minimum-edit alignment of two word sequences, in order. Where several alignments cost the
 * same, a substitution is preferred to a deletion plus an insertion, so "the cat" vs "a cat"
 * reads as one changed word.
 */
export function alignWords(ref: readonly string[], hyp: readonly string[]): AlignedWord[] {
  const cols = hyp.length + 1;
  const cost = new Uint32Array((ref.length + 1) * cols);
  for (let i = 0; i <= ref.length; i++) cost[i * cols] = i;
  for (let j = 0; j <= hyp.length; j++) cost[j] = j;
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= hyp.length; j++) {
      const diagonal = cost[(i - 1) * cols + j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      cost[i * cols + j] = Math.min(diagonal, cost[(i - 1) * cols + j]! + 1, cost[i * cols + j - 1]! + 1);
    }
  }
  const out: AlignedWord[] = [];
  let i = ref.length;
  let j = hyp.length;
  while (i > 0 || j > 0) {
    const here = cost[i * cols + j]!;
    if (i > 0 && j > 0 && here === cost[(i - 1) * cols + j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1)) {
      out.push({ mark: ref[i - 1] === hyp[j - 1] ? 'correct' : 'substituted', ref: ref[i - 1]!, hyp: hyp[j - 1]! });
      i--, j--;
    } else if (i > 0 && here === cost[(i - 1) * cols + j]! + 1) {
      out.push({ mark: 'missing', ref: ref[i - 1]!, hyp: null });
      i--;
    } else {
      out.push({ mark: 'extra', ref: null, hyp: hyp[j - 1]! });
      j--;
    }
  }
  return out.reverse();
}
