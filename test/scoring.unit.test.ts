import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { alignWords } from '../src/scoring/align';
import { normalizeForScoring, spellNumbers } from '../src/scoring/normalize';
import { scoreAttempt } from '../src/scoring/score';
import { wordEdits } from '../src/scoring/wer';

const en = { locale: 'en-US', foldAccents: false };

describe('normalising a dictation attempt', () => {
  it('makes digits and spelled numbers the same words', () => {
    expect(normalizeForScoring('I paid $500 on the 3rd!', en)).toBe('i paid five hundred dollars on the third');
    expect(normalizeForScoring('1,500 people, 2.5 km and 40%', en)).toBe('one thousand five hundred people two point five km and forty percent');
    expect(spellNumbers('the 21st time')).toBe('the twenty-first time');
  });

  it('folds compatibility forms, curly apostrophes, case, punctuation and spacing', () => {
    expect(normalizeForScoring('  “Don’t”   STOP—now…  ', en)).toBe("don't stop now");
    expect(normalizeForScoring('ﬁne', en)).toBe('fine');
  });

  it('folds accents only when asked', () => {
    expect(normalizeForScoring('Café Noël', { locale: 'fr-FR', foldAccents: false })).toBe('café noël');
    expect(normalizeForScoring('Café Noël', { locale: 'fr-FR', foldAccents: true })).toBe('cafe noel');
  });

  it('leaves numbers alone outside English', () => {
    expect(normalizeForScoring('Il a 3 chats', { locale: 'fr-FR', foldAccents: false })).toBe('il a 3 chats');
  });

  it('reads a number too long to be a quantity digit by digit', () => {
    expect(normalizeForScoring('call 0123456789012', en)).toBe('call zero one two three four five six seven eight nine zero one two');
  });
});

describe('scoring an attempt', () => {
  it('marks exactly the one wrong word as substituted', () => {
    const s = scoreAttempt('The quick brown fox jumps.', 'the quick brown cat jumps', en);
    expect(s.words.filter((w) => w.mark !== 'correct')).toEqual([{ mark: 'substituted', ref: 'fox', hyp: 'cat' }]);
    expect(s.wer).toBeCloseTo(1 / 5);
    expect(s.accuracy).toBeCloseTo(4 / 5);
  });

  it('marks missing and extra words in order', () => {
    const s = scoreAttempt('one two three four', 'one three four five', en);
    expect(s.words.map((w) => w.mark)).toEqual(['correct', 'missing', 'correct', 'correct', 'extra']);
    expect([s.substitutions, s.deletions, s.insertions]).toEqual([0, 1, 1]);
  });

  it('scores an empty attempt WER 1 and accuracy 0', () => {
    const s = scoreAttempt('hello there', '', en);
    expect(s.wer).toBe(1);
    expect(s.accuracy).toBe(0);
    expect(s.words.every((w) => w.mark === 'missing')).toBe(true);
  });

  it('keeps accuracy at 0 when extra words push WER past 1', () => {
    const s = scoreAttempt('hi', 'oh hi there you all', en);
    expect(s.wer).toBe(4);
    expect(s.accuracy).toBe(0);
  });

  it('finds alignments as cheap as the edit distance, covering both sides in order', () => {
    const words = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 });
    fc.assert(
      fc.property(words, words, (ref, hyp) => {
        const aligned = alignWords(ref, hyp);
        expect(aligned.filter((w) => w.mark !== 'correct').length).toBe(wordEdits(ref, hyp));
        expect(aligned.flatMap((w) => (w.ref === null ? [] : [w.ref]))).toEqual(ref);
        expect(aligned.flatMap((w) => (w.hyp === null ? [] : [w.hyp]))).toEqual(hyp);
        for (const w of aligned) expect(w.mark === 'correct').toBe(w.ref !== null && w.ref === w.hyp);
      }),
      { numRuns: 500 },
    );
  });
});
