// Inverse text normalisation: spoken numbers as written ones ("five zero zero" -> "500", "twenty
// eight point eight" -> "28.8", "five percent" -> "5%", "three dollars and fifty cents" -> "$3.50",
// "nineteen ninety" -> "1990", "twenty first" -> "21st"). A single number word under ten stays a word
// ("one of them", "two days") unless something says it is a figure: a cue before it ("press two",
// "extension four") or a unit after it ("five percent", "two point five"), or it is an item of a menu
// that a cue began ("press one to mute, two to lock, four or six to ...").

/** A written token and the spoken words [from, to) it was made from. */
export interface Written {
  readonly text: string;
  readonly from: number;
  readonly to: number;
}

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };
const ORDINALS: Record<string, number> = {
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9, tenth: 10, eleventh: 11, twelfth: 12, thirteenth: 13,
  fourteenth: 14, fifteenth: 15, sixteenth: 16, seventeenth: 17, eighteenth: 18, nineteenth: 19, twentieth: 20, thirtieth: 30, fortieth: 40, fiftieth: 50,
  sixtieth: 60, seventieth: 70, eightieth: 80, ninetieth: 90,
};
/** Words after which a small number is a figure: menus, addresses, references. */
const CUES = new Set(['press', 'dial', 'option', 'extension', 'number', 'line', 'channel', 'room', 'page', 'chapter', 'step', 'level', 'code', 'key', 'pin', 'floor', 'gate', 'platform', 'version', 'track', 'figure', 'table', 'section', 'digit']);
/** Cues that begin a menu: after one, a small number followed by "to" or "or" is an item of it. */
const MENU_CUES = new Set(['press', 'dial', 'option']);
/** Words that join figures: "1 or 2", "4 and 6" (not "one or two of them" alone). */
const JOINS = new Set(['or', 'and']);
const MONTHS = new Set(['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']);

const digit = (w: string | undefined): number | undefined => (w === 'oh' ? 0 : w === undefined ? undefined : ONES.indexOf(w) >= 0 && ONES.indexOf(w) < 10 ? ONES.indexOf(w) : undefined);

interface Parsed {
  readonly value: number;
  readonly end: number;
}

/** A number under a thousand: [N hundred [and]] [tens [ones] | teen | ones]. */
function belowThousand(w: readonly string[], i: number): Parsed | undefined {
  let value = 0;
  let j = i;
  const one = ONES.indexOf(w[j] ?? '');
  if ((one >= 1 && one <= 9 && w[j + 1] === 'hundred') || (w[j] === 'a' && w[j + 1] === 'hundred')) {
    value = (w[j] === 'a' ? 1 : one) * 100;
    j += 2;
    if (w[j] === 'and' && startsNumber(w[j + 1])) j++;
  }
  const tens = TENS.indexOf(w[j] ?? '');
  const small = ONES.indexOf(w[j] ?? '');
  if (tens >= 2) {
    value += tens * 10;
    j++;
    const unit = ONES.indexOf(w[j] ?? '');
    if (unit >= 1 && unit <= 9) (value += unit), j++;
  } else if (small >= 1 || (small === 0 && j === i)) {
    value += small;
    j++;
  }
  return j === i ? undefined : { value, end: j };
}

const startsNumber = (w: string | undefined): boolean => w !== undefined && (ONES.includes(w) || TENS.indexOf(w) >= 2);

/** A cardinal: groups under a thousand joined by falling scales ("two million three hundred thousand and five"). */
function cardinal(w: readonly string[], i: number): Parsed | undefined {
  let total = 0;
  let j = i;
  let last = Infinity;
  for (;;) {
    const group = w[j] === 'a' && SCALES[w[j + 1] ?? ''] ? { value: 1, end: j + 1 } : belowThousand(w, j);
    if (!group) break;
    const scale = SCALES[w[group.end] ?? ''];
    if (scale && scale < last && group.value > 0) {
      total += group.value * scale;
      last = scale;
      j = group.end + 1;
      if (w[j] === 'and' && startsNumber(w[j + 1])) j++;
      if (!startsNumber(w[j]) && w[j] !== 'a') return { value: total, end: j };
      continue;
    }
    // "nineteen hundred", "twelve hundred and five": hundreds counted past ten.
    if (w[group.end] === 'hundred' && group.value >= 11 && group.value <= 99 && last === Infinity) {
      let end = group.end + 1;
      if (w[end] === 'and' && startsNumber(w[end + 1])) end++;
      const rest = belowThousand(w, end);
      return rest && rest.value < 100 ? { value: group.value * 100 + rest.value, end: rest.end } : { value: group.value * 100, end: group.end + 1 };
    }
    return { value: total + group.value, end: group.end };
  }
  return j === i ? undefined : { value: total, end: j };
}

/** Two or more digit words in a row: "five zero zero" -> "500", "oh eight hundred"? no: digits only. */
function digitString(w: readonly string[], i: number): { text: string; end: number } | undefined {
  let j = i;
  let text = '';
  while (digit(w[j]) !== undefined && !(w[j] === 'oh' && j === i)) text += digit(w[j++]);
  // A digit string ends where a cardinal would go on ("two four hundred" is 2, 400).
  if (j - i >= 2 && (w[j] === 'hundred' || SCALES[w[j] ?? ''])) j--, (text = text.slice(0, -1));
  return j - i >= 2 ? { text, end: j } : undefined;
}

/** A year said in pairs: "nineteen ninety" 1990, "seventeen oh five" 1705, "twenty twenty one" 2021. */
function year(w: readonly string[], i: number): Parsed | undefined {
  const hi = belowThousand(w, i);
  if (!hi || hi.value < 11 || hi.value > 99 || hi.end - i > 2) return undefined;
  if (w[hi.end] === 'oh') {
    const d = digit(w[hi.end + 1]);
    return d !== undefined && d > 0 ? { value: hi.value * 100 + d, end: hi.end + 2 } : undefined;
  }
  const lo = belowThousand(w, hi.end);
  if (!lo || lo.value < 10 || lo.value > 99 || w[lo.end] === 'hundred' || SCALES[w[lo.end] ?? '']) return undefined;
  return { value: hi.value * 100 + lo.value, end: lo.end };
}

/** An ordinal: "twenty first" 21, "hundredth" 100, "third" 3. */
function ordinal(w: readonly string[], i: number): Parsed | undefined {
  if (ORDINALS[w[i] ?? '']) return { value: ORDINALS[w[i]!]!, end: i + 1 };
  const tens = TENS.indexOf(w[i] ?? '');
  const unit = ORDINALS[w[i + 1] ?? ''];
  if (tens >= 2 && unit !== undefined && unit < 10) return { value: tens * 10 + unit, end: i + 2 };
  return undefined;
}

const suffix = (n: number): string => (n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'));
const grouped = (n: number): string => (n >= 10_000 ? n.toLocaleString('en-US') : String(n));

/**
 * Written tokens for spoken words (lower case): runs that say a number become one token, every other
 * word is its own token, unchanged.
 */
export function numerals(words: readonly string[]): Written[] {
  const w = words.map((x) => x.toLowerCase());
  const out: Written[] = [];
  const context = { menu: false, joined: false };
  for (let i = 0; i < w.length; ) {
    context.joined = JOINS.has(w[i - 1] ?? '') && out.length >= 2 && /\d/.test(out.at(-2)!.text);
    const t = figure(w, i, context);
    if (t) {
      if (MENU_CUES.has(w[i - 1] ?? '')) context.menu = true;
      // "March 3, 2026": a day then a year.
      if (MONTHS.has(w[i - 1] ?? '') && year(w, t.end)) t.text += ',';
      out.push({ text: t.text, from: i, to: t.end });
      i = t.end;
    } else out.push({ text: words[i]!, from: i, to: ++i });
  }
  return out;
}

function figure(w: readonly string[], i: number, context: { menu: boolean; joined: boolean }): { text: string; end: number } | undefined {
  // After a month: the day as a figure ("march third" -> "March 3"), then the year.
  if (MONTHS.has(w[i - 1] ?? '')) {
    const day = ordinal(w, i) ?? cardinal(w, i);
    if (day && day.value >= 1 && day.value <= 31) return { text: String(day.value), end: day.end };
  }
  const ord = ordinal(w, i);
  if (ord && (ord.end - i > 1 || ord.value >= 10)) return { text: `${ord.value}${suffix(ord.value)}`, end: ord.end };
  const yr = year(w, i);
  if (yr) return { text: String(yr.value), end: yr.end };
  const digits = digitString(w, i);
  const card = cardinal(w, i);
  let whole: { text: string; end: number; value: number } | undefined;
  if (digits && (!card || digits.end > card.end)) whole = { ...digits, value: Number(digits.text) };
  else if (card) whole = { text: grouped(card.value), end: card.end, value: card.value };
  if (!whole) return undefined;
  let { text, end } = whole;
  let unit = false;
  if (w[end] === 'point' && digit(w[end + 1]) !== undefined) {
    text += '.';
    end++;
    while (digit(w[end]) !== undefined) text += digit(w[end++]);
    unit = true;
  }
  if (w[end] === 'percent' || (w[end] === 'per' && w[end + 1] === 'cent')) return { text: `${text}%`, end: end + (w[end] === 'per' ? 2 : 1) };
  if (w[end] === 'dollars' || w[end] === 'dollar') {
    end++;
    if (w[end] === 'and' && !text.includes('.')) {
      const cents = cardinal(w, end + 1);
      if (cents && cents.value < 100 && (w[cents.end] === 'cents' || w[cents.end] === 'cent')) return { text: `$${text}.${String(cents.value).padStart(2, '0')}`, end: cents.end + 1 };
    }
    return { text: `$${text}`, end };
  }
  const single = end - i === 1 && whole.value < 10;
  const cued = CUES.has(w[i - 1] ?? '') || context.joined || (context.menu && (w[end] === 'to' || w[end] === 'or'));
  if (single && !unit && !cued) return undefined;
  return { text, end };
}
