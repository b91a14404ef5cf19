// How well a text is punctuated and cased against a reference: case accuracy and F1 of sentence
// breaks, commas and question marks, over the words both share (bench section 16 and the tests).
import { isTitle } from '../format/formatter';
import type { Case, Punct } from '../format/punctuator';
import { alignWords } from './align';
import { normalizeText } from './wer';

/** The mark after a word, as the model writes it. */
export type Mark = Punct;
export type { Case };

/** Case accuracy and F1 of sentence breaks ('.' and '?'), commas and question marks over paired words. */
export interface TextScores {
  readonly words: number;
  readonly case_accuracy: number;
  readonly sentence_break_f1: number;
  readonly comma_f1: number;
  readonly question_f1: number;
}

/** The mark written after a word ('!' reads as '.'), and the word without it. */
export function markOf(token: string): { word: string; mark: Mark } {
  const t = token.replace(/["')\]]+$/, '');
  // A title's dot is the word's, not a sentence end.
  if (isTitle(t)) return { word: t, mark: '' };
  const m = /([.,?!;:])$/.exec(t);
  const mark = (m ? (m[1] === '!' ? '.' : m[1]) : '') as Mark;
  return { word: m ? t.slice(0, -1) : t, mark };
}

/** As training/punct/corpora.py's case_of: lower, Capitalised (also "I"), UPPER (two letters or more). */
export function caseOf(word: string): Case {
  const letters = [...word].filter((c) => /\p{L}/u.test(c));
  if (letters.length === 0 || letters[0] === letters[0]!.toLowerCase()) return 'lower';
  if (letters.length >= 2 && letters.every((c) => c === c.toUpperCase())) return 'upper';
  return 'capital';
}

/** Scores predicted against gold (mark, case) pairs. */
export function score(pairs: readonly { gold: { mark: Mark; case: Case }; pred: { mark: Mark; case: Case } }[]): TextScores {
  const f1 = (match: (m: Mark) => boolean) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const { gold, pred } of pairs) {
      if (match(pred.mark) && match(gold.mark)) tp++;
      else if (match(pred.mark)) fp++;
      else if (match(gold.mark)) fn++;
    }
    return (2 * tp) / Math.max(1, 2 * tp + fp + fn);
  };
  return {
    words: pairs.length,
    case_accuracy: pairs.filter((p) => p.gold.case === p.pred.case).length / Math.max(1, pairs.length),
    sentence_break_f1: f1((m) => m === '.' || m === '?'),
    comma_f1: f1((m) => m === ','),
    question_f1: f1((m) => m === '?'),
  };
}

/** A token's form for alignment: lower case, marks and spaces gone ("Finally," and "finally" pair; so do "28.8" and "28.8"). */
const key = (token: string) => normalizeText(token).replaceAll(' ', '');

/** (mark, case) pairs of the reference words an output got right, by a minimum-edit alignment of the words. */
export function alignedPairs(reference: string, output: string) {
  const ref = reference.split(/\s+/).filter((t) => key(t) !== '');
  const hyp = output.split(/\s+/).filter((t) => key(t) !== '');
  const pairs: { gold: { mark: Mark; case: Case }; pred: { mark: Mark; case: Case } }[] = [];
  let i = 0;
  let j = 0;
  for (const a of alignWords(ref.map(key), hyp.map(key))) {
    if (a.mark === 'correct') {
      const g = markOf(ref[i]!);
      const p = markOf(hyp[j]!);
      pairs.push({ gold: { mark: g.mark, case: caseOf(g.word) }, pred: { mark: p.mark, case: caseOf(p.word) } });
    }
    if (a.ref !== null) i++;
    if (a.hyp !== null) j++;
  }
  return pairs;
}

