import { ALAW, MULAW, type Encoding } from './codecs';

/** What a WAV header says about its samples and where they lie in the file. */
export interface WavHeader {
  /** Sample coding: integer PCM of `bits` (8 is unsigned), IEEE float, or G.711. */
  readonly coding: 'pcm' | 'float' | 'alaw' | 'mulaw';
  readonly bits: number;
  readonly channels: number;
  readonly sampleRate: number;
  /** Bytes per frame (one sample of every channel). */
  readonly blockAlign: number;
  /** Byte offset of the first sample. */
  readonly dataOffset: number;
  /** Bytes of audio; for a header that leaves the size open (streamed WAV), what the file holds. */
  readonly dataBytes: number;
}

export class WavError extends Error {}

const CODINGS: Record<number, WavHeader['coding'] | undefined> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw' };
const VALID_BITS: Record<WavHeader['coding'], readonly number[]> = { pcm: [8, 16, 24, 32], float: [32, 64], alaw: [8], mulaw: [8] };
/** Sizes writers put in a header when they stream and never come back to fill it in. */
const OPEN_SIZES = new Set([0, 0xffffffff]);

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

/** Whether the first bytes are a RIFF/WAVE header (the rest goes to ffmpeg). */
export const isWav = (head: Uint8Array): boolean => head.length >= 12 && tag(head, 0) === 'RIFF' && tag(head, 8) === 'WAVE';

const tag = (b: Uint8Array, at: number) => String.fromCharCode(...b.subarray(at, at + 4));

/**
 * Walks the RIFF chunks of a file of `fileBytes` bytes up to its data chunk, reading only headers,
 * and says exactly what is wrong with a file it cannot take.
 */
export function readWavHeader(readAt: ReadAt, fileBytes: number): WavHeader {
  const head = readAt(0, 12);
  if (!isWav(head)) throw new WavError('not a RIFF/WAVE file');
  let fmt: Omit<WavHeader, 'dataOffset' | 'dataBytes'> | undefined;
  for (let at = 12; at + 8 <= fileBytes; ) {
    const chunk = readAt(at, 8);
    const id = tag(chunk, 0);
    const size = new DataView(chunk.buffer, chunk.byteOffset, 8).getUint32(4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > fileBytes) throw new WavError('truncated WAV header (fmt chunk cut short)');
      fmt = parseFmt(readAt(body, Math.min(size, 40)));
    } else if (id === 'data') {
      if (!fmt) throw new WavError('WAV data chunk before its fmt chunk');
      const held = fileBytes - body;
      if (!OPEN_SIZES.has(size) && size > held) throw new WavError(`truncated WAV file: its header promises ${size} bytes of audio, the file holds ${held}`);
      const dataBytes = OPEN_SIZES.has(size) ? held : size;
      return { ...fmt, dataOffset: body, dataBytes: dataBytes - (dataBytes % fmt.blockAlign) };
    }
    at = body + size + (size % 2);
  }
  throw new WavError(fmt ? 'WAV file has no data chunk (truncated?)' : 'truncated WAV header (no fmt chunk)');
}

function parseFmt(b: Uint8Array): Omit<WavHeader, 'dataOffset' | 'dataBytes'> {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let code = v.getUint16(0, true);
  if (code === 0xfffe && b.length >= 26) code = v.getUint16(24, true); // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the code
  const channels = v.getUint16(2, true);
  const sampleRate = v.getUint32(4, true);
  const bits = v.getUint16(14, true);
  const coding = CODINGS[code];
  if (!coding) throw new WavError(`unsupported WAV encoding (format code ${code}); convert it to PCM, or install ffmpeg and pass another format`);
  if (!VALID_BITS[coding].includes(bits)) throw new WavError(`unsupported WAV sample size: ${bits}-bit ${coding}`);
  if (channels < 1) throw new WavError('WAV header declares no channels');
  if (sampleRate < 1000 || sampleRate > 384_000) throw new WavError(`implausible WAV sample rate ${sampleRate} Hz`);
  return { coding, bits, channels, sampleRate, blockAlign: (bits / 8) * channels };
}

/** A WAV held in memory, mono in an encoding voxlog streams as is (tests and benchmarks). */
export interface Wav {
  readonly format: Encoding;
  readonly sampleRate: number;
  readonly channels: number;
  readonly data: Uint8Array<ArrayBuffer>;
}

/** Parses a WAV in memory whose samples can go on the wire unchanged; throws with the reason otherwise. */
export function parseWav(bytes: Uint8Array<ArrayBuffer>): Wav {
  const h = readWavHeader((at, n) => bytes.subarray(at, at + n), bytes.length);
  const format = wireEncoding(h);
  if (!format) throw new WavError(`${describeWav(h)} is not a wire encoding; read it with openAudio`);
  return { format, sampleRate: h.sampleRate, channels: h.channels, data: bytes.subarray(h.dataOffset, h.dataOffset + h.dataBytes) };
}

/** The wire encoding a mono WAV can be streamed in as it is, if any. */
export function wireEncoding(h: WavHeader): Encoding | undefined {
  if (h.channels !== 1) return undefined;
  if (h.coding === 'pcm' && h.bits === 16) return 'pcm16';
  if (h.coding === 'float' && h.bits === 32) return 'float32';
  if (h.coding === 'alaw' || h.coding === 'mulaw') return h.coding;
  return undefined;
}

/** A short human description: "WAV 24-bit PCM, 2 channels, 11025 Hz". */
export const describeWav = (h: WavHeader): string =>
  `WAV ${h.coding === 'pcm' || h.coding === 'float' ? `${h.bits}-bit ${h.coding === 'pcm' ? 'PCM' : 'float'}` : h.coding === 'alaw' ? 'A-law' : 'μ-law'}, ${h.channels === 1 ? 'mono' : `${h.channels} channels`}, ${h.sampleRate} Hz`;

/** Decodes whole frames of WAV sample bytes to mono Float32 in [-1, 1], averaging the channels. */
export function wavFramesToMono(h: WavHeader, bytes: Uint8Array): Float32Array {
  const frames = Math.floor(bytes.length / h.blockAlign);
  const out = new Float32Array(frames);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = h.bits / 8;
  const read = sampleReader(h, v, bytes);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < h.channels; c++) sum += read(f * h.blockAlign + c * width);
    out[f] = sum / h.channels;
  }
  return out;
}

function sampleReader(h: WavHeader, v: DataView, b: Uint8Array): (at: number) => number {
  switch (h.coding) {
    case 'alaw':
      return (at) => ALAW[b[at]!]!;
    case 'mulaw':
      return (at) => MULAW[b[at]!]!;
    case 'float':
      return h.bits === 32 ? (at) => v.getFloat32(at, true) : (at) => v.getFloat64(at, true);
    case 'pcm':
      if (h.bits === 8) return (at) => (b[at]! - 128) / 128;
      if (h.bits === 16) return (at) => v.getInt16(at, true) / 32768;
      if (h.bits === 24) return (at) => ((b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) << 8 >> 8) / 8388608;
      return (at) => v.getInt32(at, true) / 2147483648;
    default: {
      const never: never = h.coding;
      throw new Error(`unknown coding ${never}`);
    }
  }
}

/** WAVE format tags by wire encoding: what a header for headerless audio says. */
const FORMAT_TAGS = { pcm16: { tag: 1, bits: 16 }, mulaw: { tag: 7, bits: 8 }, alaw: { tag: 6, bits: 8 } } as const;

/** The 44-byte header of a mono WAV file holding `dataBytes` of `encoding` audio at `rate` Hz. */
export function wavHeader(encoding: keyof typeof FORMAT_TAGS, rate: number, dataBytes: number): Uint8Array {
  const { tag, bits } = FORMAT_TAGS[encoding];
  const out = new Uint8Array(44);
  const h = new DataView(out.buffer);
  const text = (s: string, at: number) => out.set(new TextEncoder().encode(s), at);
  text('RIFF', 0);
  h.setUint32(4, 36 + dataBytes, true);
  text('WAVEfmt ', 8);
  h.setUint32(16, 16, true);
  h.setUint16(20, tag, true);
  h.setUint16(22, 1, true);
  h.setUint32(24, rate, true);
  h.setUint32(28, (rate * bits) / 8, true);
  h.setUint16(32, bits / 8, true);
  h.setUint16(34, bits, true);
  text('data', 36);
  h.setUint32(40, dataBytes, true);
  return out;
}
