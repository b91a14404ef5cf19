import { beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, next, START, type SpokenWord } from '../src/format/formatter';
import { FinalWriter } from '../src/format/final-writer';
import { Punctuator } from '../src/format/punctuator';
import type { FromWorker } from '../src/engine/protocol';

/** Words as the recogniser gives them: upper case, 300 ms apart. */
const spoken = (text: string, at = 0): SpokenWord[] => text.split(' ').map((word, i) => ({ word, start_ms: at + i * 300, end_ms: at + i * 300 + 250 }));
const BOTH = { punctuate: true, numerals: true };

let punctuator: Punctuator;
beforeAll(async () => {
  punctuator = await Punctuator.load();
});

describe('formatting a final', () => {
  it('writes sentences: a capital first, a mark last, "I" upper case', async () => {
    const out = await format(punctuator, spoken('YESTERDAY I WENT TO THE MARKET AND I BOUGHT SOME BREAD'), BOTH);
    expect(out.text).toMatch(/^Yesterday /);
    expect(out.text).toMatch(/[.?]$/);
    expect(out.text).toContain(' I went');
    expect(out.sentenceEnded).toBe(true);
  });

  it('keeps each written word on the times of the spoken words it came from', async () => {
    const words = spoken('YOU CAN DIAL FIVE ZERO ZERO NOW');
    const out = await format(punctuator, words, BOTH);
    const figure = out.words.find((w) => w.word.startsWith('500'))!;
    expect(figure).toMatchObject({ from: 3, to: 6, start_ms: words[3]!.start_ms, end_ms: words[5]!.end_ms });
    // Every spoken word belongs to exactly one written word, in order.
    expect(out.words.flatMap((w) => Array.from({ length: w.to - w.from }, (_, k) => w.from + k))).toEqual(words.map((_, i) => i));
  });

  it('writes numbers alone when only numerals are asked for, keeping the recogniser\'s case', async () => {
    const out = await format(punctuator, spoken('PRESS ONE TO MUTE'), { punctuate: false, numerals: true });
    expect(out.text).toBe('PRESS 1 TO MUTE');
  });

  it('writes titles before names', async () => {
    const out = await format(punctuator, spoken('AND MISTER JOHN DASHWOOD HAD THEN LEISURE TO CONSIDER'), BOTH);
    expect(out.text).toContain('Mr. John Dashwood');
  });

  it('starts a segment with a capital only after a sentence ended', async () => {
    const first = spoken('THE WEATHER WAS COLD AND WET THAT DAY');
    const a = await format(punctuator, first, BOTH);
    const ended = await format(punctuator, spoken('WE STAYED INSIDE', 3000), BOTH, next(START, first, a));
    expect(ended.text.charAt(0)).toBe(a.sentenceEnded ? 'W' : 'w');
    const open = await format(punctuator, spoken('WE STAYED INSIDE', 3000), BOTH, { words: ['AND'], sentenceEnded: false });
    expect(open.text.charAt(0)).toBe('w');
  });

  it('gives nothing for no words', async () => {
    expect(await format(punctuator, [], BOTH)).toEqual({ text: '', words: [], sentenceEnded: true });
  });
});

describe('the shipped model on held-out text (Moby-Dick, never seen in training)', () => {
  // Scored as voxlog runs it: pieces of 32 words, each after up to 16 words of context.
  const rows = readFileSync(join(import.meta.dir, '..', 'training', 'punct', 'heldout-moby-dick.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, 8000)
    .map((l) => l.split('\t') as [string, string, string]);

  it('cases and punctuates well above the raw text', async () => {
    let caseRight = 0;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < rows.length; i += 32) {
      const before = rows.slice(Math.max(0, i - 16), i).map((r) => r[0]);
      const piece = rows.slice(i, i + 32);
      const marks = (await punctuator.mark([...before, ...piece.map((r) => r[0])])).slice(before.length);
      piece.forEach(([, punct, c], k) => {
        if (marks[k]!.case === c) caseRight++;
        const saidEnd = marks[k]!.punct === '.' || marks[k]!.punct === '?';
        const isEnd = punct === '.' || punct === '?';
        if (saidEnd && isEnd) tp++;
        else if (saidEnd) fp++;
        else if (isEnd) fn++;
      });
    }
    const lowerShare = rows.filter((r) => r[2] === 'lower').length / rows.length;
    // Bounds measured on the shipped file with margin (see training/punct/README.md for the figures).
    expect(caseRight / rows.length).toBeGreaterThan(lowerShare + 0.03);
    expect((2 * tp) / (2 * tp + fp + fn)).toBeGreaterThan(0.4);
  });
});

describe('FinalWriter', () => {
  it('sends a stream\'s messages in order, its finals written, and other streams\' untouched', async () => {
    const sent: FromWorker[] = [];
    const writer = new FinalWriter((m) => sent.push(m), async () => punctuator);
    writer.open('a', BOTH);
    writer.open('b', undefined);
    const final = (streamId: string): FromWorker => ({ type: 'final', streamId, seq: 1, text: 'DIAL FIVE ZERO ZERO', startMs: 0, endMs: 1000, words: spoken('DIAL FIVE ZERO ZERO'), reason: 'endpoint' });
    writer.post(final('a'));
    writer.post({ type: 'finalized', streamId: 'a', seq: 2 });
    writer.post(final('b'));
    await writer.settled();
    expect(sent.map((m) => `${m.type}:${'streamId' in m ? m.streamId : ''}`)).toEqual(['final:b', 'final:a', 'finalized:a']);
    const a = sent[1] as Extract<FromWorker, { type: 'final' }>;
    expect(a.formatted?.text).toMatch(/^Dial 500/);
    expect((sent[0] as Extract<FromWorker, { type: 'final' }>).formatted).toBeUndefined();
  });
});
