// How hard a sentence is to take down by ear, 1 (easy) to 5 (hard), when its author gives no
// difficulty. Each thing that makes dictation hard adds a point to a base of 1:
//   length:      7–12 words +1, 13–20 words +2, more than 20 words +3
//   long words:  at least a fifth of the words have 9 or more letters            +1
//   rare words:  (English) over a third of the words are outside the 500 most common  +1
//   digits and symbols ($ % & / @ #): the learner must choose how to write them      +1
//   punctuation inside the sentence: two or more of , ; : ( ) " …                   +1
// and the sum is capped at 5.
import commonWordsPath from '../../../assets/common-words-en.txt' with { type: 'file' };
import { readFileSync } from 'node:fs';

let common: Set<string> | undefined;
const commonWords = (): Set<string> =>
  (common ??= new Set(
    readFileSync(commonWordsPath, 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .flatMap((l) => l.split(/\s+/))
      .filter(Boolean),
  ));

export interface DifficultyFactors {
  readonly words: number;
  readonly longWords: number;
  readonly rareWords: number | null;
  readonly digitsOrSymbols: boolean;
  readonly innerPunctuation: number;
}

/** What the estimate looks at, for tests and the README's worked example. */
export function difficultyFactors(text: string, locale: string): DifficultyFactors {
  const words = text.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')).filter(Boolean);
  const letters = words.filter((w) => /\p{L}/u.test(w));
  const english = /^en(-|$)/i.test(locale);
  const rare = english ? letters.filter((w) => !commonWords().has(w.toLowerCase().replace(/'s$/, ''))).length : null;
  return {
    words: words.length,
    longWords: letters.filter((w) => [...w].length >= 9).length,
    rareWords: rare,
    digitsOrSymbols: /[\p{N}$%&/@#]/u.test(text),
    innerPunctuation: (text.trim().replace(/[.!?…]+$/u, '').match(/[,;:()"“”…—]/gu) ?? []).length,
  };
}

/** The estimated difficulty of `text`, 1 to 5 (see the rules above). */
export function inferDifficulty(text: string, locale: string): number {
  const f = difficultyFactors(text, locale);
  const n = Math.max(1, f.words);
  let points = f.words > 20 ? 3 : f.words > 12 ? 2 : f.words > 6 ? 1 : 0;
  if (f.longWords / n >= 0.2) points++;
  if (f.rareWords !== null && f.rareWords / n > 1 / 3) points++;
  if (f.digitsOrSymbols) points++;
  if (f.innerPunctuation >= 2) points++;
  return Math.min(5, 1 + points);
}
