import { describe, expect, it } from 'bun:test';
import { numerals } from '../src/format/numerals';

const written = (spoken: string): string =>
  numerals(spoken.split(' '))
    .map((t) => t.text)
    .join(' ');

describe('numerals: spoken numbers as figures', () => {
  it.each([
    // Digit strings, as telephone prompts say them
    ['you can dial five zero zero to attempt', 'you can dial 500 to attempt'],
    ['extension one two three four and password four two four two', 'extension 1234 and password 4242'],
    ['dial extension eight five zero zero', 'dial extension 8500'],
    ['the code is two oh one', 'the code is 201'],
    // Cardinals
    ['twenty eight people', '28 people'],
    ['two million three hundred thousand and five people', '2,300,005 people'],
    ['a hundred and twenty', '120'],
    ['one thousand two hundred', '1200'],
    ['twelve hundred and five', '1205'],
    // Decimals, percentages, money
    ['at least a twenty eight point eight kilobit modem', 'at least a 28.8 kilobit modem'],
    ['two point five', '2.5'],
    ['five percent', '5%'],
    ['forty per cent', '40%'],
    ['three dollars and fifty cents', '$3.50'],
    ['one dollar', '$1'],
    ['twenty dollars and five cents', '$20.05'],
    // Years and dates
    ['in nineteen ninety', 'in 1990'],
    ['seventeen oh five', '1705'],
    ['twenty twenty one', '2021'],
    ['it was nineteen hundred', 'it was 1900'],
    ['march third', 'march 3'],
    ['march third twenty twenty six', 'march 3, 2026'],
    // Ordinals
    ['the twenty first century', 'the 21st century'],
    ['the eleventh hour', 'the 11th hour'],
    // Small numbers stay words unless something makes them figures
    ['one of the best two days', 'one of the best two days'],
    ['the first time', 'the first time'],
    ['one or two of them', 'one or two of them'],
    ['press one to mute', 'press 1 to mute'],
    ['page four', 'page 4'],
    ['press one or two', 'press 1 or 2'],
    // A menu begun by a cue goes on through its items
    [
      'press one to mute or unmute yourself two to lock the conference four or six to decrease or eight to exit',
      'press 1 to mute or unmute yourself 2 to lock the conference 4 or 6 to decrease or 8 to exit',
    ],
    // Words that are not numbers
    ['no one knows', 'no one knows'],
    ['a hundreds of', 'a hundreds of'],
  ])('%s', (spoken, expected) => {
    expect(written(spoken)).toBe(expected);
  });

  it('keeps the spoken words each figure came from', () => {
    expect(numerals('dial five zero zero now'.split(' '))).toEqual([
      { text: 'dial', from: 0, to: 1 },
      { text: '500', from: 1, to: 4 },
      { text: 'now', from: 4, to: 5 },
    ]);
  });

  it('keeps words as they came (case included) where no number is said', () => {
    expect(written('PRESS the POUND key')).toBe('PRESS the POUND key');
  });
});

// An independent speller, to check that every number said the usual way comes back as itself.
const ONES = 'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'.split(' ');
const TENS = ' _ twenty thirty forty fifty sixty seventy eighty ninety'.split(' ');
function say(n: number): string[] {
  if (n < 20) return [ONES[n]!];
  if (n < 100) return [TENS[Math.floor(n / 10)]!, ...(n % 10 ? [ONES[n % 10]!] : [])];
  if (n < 1000) return [ONES[Math.floor(n / 100)]!, 'hundred', ...(n % 100 ? say(n % 100) : [])];
  for (const [scale, name] of [[1e9, 'billion'], [1e6, 'million'], [1e3, 'thousand']] as const) {
    if (n >= scale) return [...say(Math.floor(n / scale)), name, ...(n % scale ? say(n % scale) : [])];
  }
  throw new Error('unreachable');
}

/** A fixed pseudo-random sequence, so a failure names the same numbers every run. */
function* numbers(count: number, below: number): Generator<number> {
  let s = 7;
  for (let i = 0; i < count; i++) yield (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % below;
}

describe('numerals: properties', () => {
  it('reads back every cardinal from 10 to a billion as its figure', () => {
    for (const n of numbers(3000, 1e9)) {
      if (n < 10) continue;
      const spoken = say(n);
      // Four-digit numbers said in pairs are years; said with "thousand" they are cardinals.
      const tokens = numerals(spoken);
      expect(tokens.map((t) => t.text)).toEqual([n >= 10_000 ? n.toLocaleString('en-US') : String(n)]);
      expect(tokens[0]!.to).toBe(spoken.length);
    }
  });

  it('reads back digit strings of any length, one token each', () => {
    for (const n of numbers(500, 1e8)) {
      const digits = String(n);
      if (digits.length < 2) continue;
      expect(written([...digits].map((d) => ONES[Number(d)]).join(' '))).toBe(digits);
    }
  });

  it('reads back years said in pairs from 1110 to 2099', () => {
    for (let y = 1110; y < 2100; y++) {
      const hi = Math.floor(y / 100);
      const lo = y % 100;
      if (lo === 0 || (y >= 2000 && y < 2010)) continue;
      const spoken = [...say(hi), ...(lo < 10 ? ['oh', ONES[lo]!] : say(lo))].join(' ');
      expect(written(spoken)).toBe(String(y));
    }
  });

  it('reads back decimals', () => {
    for (const n of numbers(300, 100_000)) {
      const [whole, frac] = [Math.floor(n / 100), n % 100];
      const fracDigits = String(frac).padStart(2, '0');
      expect(written([...say(whole), 'point', ...[...fracDigits].map((d) => ONES[Number(d)]!)].join(' '))).toBe(`${whole >= 10_000 ? whole.toLocaleString('en-US') : whole}.${fracDigits}`);
    }
  });
});
