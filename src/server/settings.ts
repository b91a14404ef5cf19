import { ENCODINGS, SAMPLE_RATE_RANGE, type Encoding } from '../audio/codecs';
import type { StreamOptions } from '../engine/protocol';
import { FORMAT_VALUES, FORMATTED, parseFormat } from '../format/formatter';

/** How a session's audio arrives and is segmented; set by the query string, changed by `config`. */
export interface AudioSettings extends StreamOptions {
  readonly encoding: Encoding;
  readonly sampleRate: number;
}

/**
 * Segmentation and turn settings a session starts with. `endpointingMs` was chosen by measurement
 * (bench section 15): the shortest silence that ends a segment without splitting phrases at the
 * pauses inside them; the final then comes about 240 ms after the last word.
 */
export const DEFAULT_SETTINGS: AudioSettings = { encoding: 'pcm16', sampleRate: 16000, endpointingMs: 200, vad: true, utteranceEndMs: 1000, maxSegmentMs: 3000, interimMs: 1000, format: FORMATTED };

const RANGES = {
  endpointing_ms: [10, 5000],
  utterance_end_ms: [0, 10000],
  max_segment_ms: [1000, 30000],
  interim_ms: [0, 10000],
} as const;
type Field = keyof typeof RANGES;

/**
 * A number as the source spells it: a JSON number in a `config` message, plain decimal digits in a
 * query string. Anything else (`"0x3E80"`, `[16000]`, `null`, `true`, `"1e4"`) is NaN, never coerced.
 */
function numberIn(value: unknown, source: 'query' | 'json'): number {
  if (source === 'json') return typeof value === 'number' ? value : Number.NaN;
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
}

/**
 * Applies the audio fields present in `raw` (query strings or JSON values, as `source` says) on top of
 * `base`. Unknown fields are left to the caller; a bad value is an error naming the field.
 */
export function parseSettings(raw: Record<string, unknown>, base: AudioSettings, source: 'query' | 'json'): AudioSettings | { error: string } {
  if (raw.encoding !== undefined && typeof raw.encoding !== 'string') return { error: `encoding must be a string, one of ${ENCODINGS.join(', ')}` };
  const encoding = (raw.encoding ?? base.encoding) as Encoding;
  if (!ENCODINGS.includes(encoding)) return { error: `encoding ${JSON.stringify(raw.encoding)} is not one of ${ENCODINGS.join(', ')}` };
  const sampleRate = raw.sample_rate === undefined || (source === 'query' && raw.sample_rate === '') ? base.sampleRate : numberIn(raw.sample_rate, source);
  const { min, max } = SAMPLE_RATE_RANGE;
  if (!Number.isInteger(sampleRate) || sampleRate < min || sampleRate > max) return { error: `sample_rate ${JSON.stringify(raw.sample_rate)} must be a whole number of Hz from ${min} to ${max}` };
  const ms: Record<Field, number> = { endpointing_ms: base.endpointingMs, utterance_end_ms: base.utteranceEndMs, max_segment_ms: base.maxSegmentMs, interim_ms: base.interimMs };
  // `min_silence_ms` is the name endpointing had when only offline models segmented by silence.
  const given: Record<string, unknown> = { ...raw, endpointing_ms: raw.endpointing_ms ?? raw.min_silence_ms };
  for (const [name, [min, max]] of Object.entries(RANGES) as [Field, readonly [number, number]][]) {
    if (given[name] === undefined) continue;
    const n = numberIn(given[name], source);
    if (!Number.isInteger(n) || n < min || n > max) return { error: `${name} ${JSON.stringify(given[name])} must be an integer from ${min} to ${max}` };
    ms[name] = n;
  }
  const vad = flagIn(raw.vad, source, base.vad);
  if (vad === undefined) return { error: `vad ${JSON.stringify(raw.vad)} must be true or false` };
  const format = raw.format === undefined ? base.format : source === 'json' && typeof raw.format !== 'boolean' && typeof raw.format !== 'string' ? undefined : parseFormat(String(raw.format));
  if (format === undefined) return { error: `format ${JSON.stringify(raw.format)} ${FORMAT_VALUES}` };
  return { encoding, sampleRate, endpointingMs: ms.endpointing_ms, vad, utteranceEndMs: ms.utterance_end_ms, maxSegmentMs: ms.max_segment_ms, interimMs: ms.interim_ms, format };
}

/** A boolean as the source spells it (`true`/`false` in a query, a JSON boolean); undefined when it is neither. */
function flagIn(value: unknown, source: 'query' | 'json', fallback: boolean): boolean | undefined {
  if (value === undefined) return fallback;
  if (source === 'json') return typeof value === 'boolean' ? value : undefined;
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

/** Whether moving from `a` to `b` needs a fresh engine stream (sherpa cannot change a stream's rate). */
export const needsNewStream = (a: AudioSettings, b: AudioSettings): boolean =>
  a.sampleRate !== b.sampleRate ||
  a.endpointingMs !== b.endpointingMs ||
  a.vad !== b.vad ||
  a.utteranceEndMs !== b.utteranceEndMs ||
  a.maxSegmentMs !== b.maxSegmentMs ||
  a.interimMs !== b.interimMs ||
  a.format?.punctuate !== b.format?.punctuate ||
  a.format?.numerals !== b.format?.numerals;
