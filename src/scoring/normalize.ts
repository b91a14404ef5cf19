// How a dictation attempt and its reference are made comparable: the same sentence typed as
// "I paid $500 on the 3rd!" and heard as "i paid five hundred dollars on the third" should differ
// by nothing a learner got wrong.
import { toWords, toWordsOrdinal } from 'number-to-words';
import { normalizeText } from './wer';

export interface NormalizeOptions {
  /** BCP 47 tag of the text; numbers are spelled out for English only. */
  readonly locale: string;
  /** Treat "café" and "cafe" as the same word. */
  readonly foldAccents: boolean;
}

/** Past this many digits a number is read digit by digit (a phone or card number, not a quantity). */
const MAX_SPOKEN_DIGITS = 12;
const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

const spellDigits = (digits: string): string => [...digits].map((d) => DIGIT_WORDS[Number(d)]).join(' ');
const cardinal = (digits: string): string => (digits.length > MAX_SPOKEN_DIGITS ? spellDigits(digits) : toWords(Number(digits)));

/** Spells English numbers the way they are said: "1,500" → "one thousand five hundred", "3rd" → "third", "2.5" → "two point five". */
export function spellNumbers(text: string): string {
  return text
    .replace(/\b\d{1,3}(?:,\d{3})+\b/g, (n) => n.replaceAll(',', ''))
    .replace(/\b(\d+)(?:st|nd|rd|th)\b/gi, (_, n: string) => (n.length > MAX_SPOKEN_DIGITS ? spellDigits(n) : toWordsOrdinal(Number(n))))
    .replace(/\b(\d+)\.(\d+)\b/g, (_, whole: string, frac: string) => `${cardinal(whole)} point ${spellDigits(frac)}`)
    .replace(/(\d)\s*%/g, '$1 percent')
    .replace(/\$(\d+)/g, '$1 dollars')
    .replace(/\d+/g, (n) => ` ${cardinal(n)} `);
}

const isEnglish = (locale: string): boolean => /^en(-|$)/i.test(locale);

/** NFKC, one apostrophe, lower case, optional accent folding, English numbers spelled out, then punctuation and spacing as WER scoring has them. */
export function normalizeForScoring(text: string, o: NormalizeOptions): string {
  let s = text.normalize('NFKC').replace(/[\u2018\u2019\u02bc`]/g, "'").toLocaleLowerCase(o.locale);
  if (o.foldAccents) s = s.normalize('NFD').replace(/\p{M}+/gu, '').normalize('NFC');
  if (isEnglish(o.locale)) s = spellNumbers(s);
  // A quote mark at a word's edge is quoting, not an elision: "'hello'" is hello.
  return normalizeText(s).replace(/(^|\s)'+|'+(?=\s|$)/g, '$1').replace(/\s+/g, ' ').trim();
}
