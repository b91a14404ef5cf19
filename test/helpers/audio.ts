import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../../src/config';
import { AudioDecoder } from '../../src/audio/codecs';
import { parseWav } from '../../src/audio/wav';

const shared = sharedDir();
if (!shared) throw new Error('tests need the shared models and audio: put ../shared beside the checkout or set VOXLOG_SHARED_DIR');
export const SHARED_DIR = shared;
export const AUDIO_DIR = join(shared, 'audio');
export const STREAMING_MODEL = 'tiny-streaming-lstm-ctc-en';

export interface Clip {
  readonly name: string;
  readonly reference: string;
  /** PCM16 little-endian bytes, 16 kHz mono: what a browser client sends. */
  readonly pcm16: Uint8Array<ArrayBuffer>;
  /** The same audio as the server decodes it. */
  readonly samples: Float32Array;
  readonly sampleRate: number;
}

/** The `trans.tsv` references of one audio set. */
export function references(set: string): Map<string, string> {
  const rows = readFileSync(join(AUDIO_DIR, set, 'trans.tsv'), 'utf8').split('\n').filter((l) => l.trim());
  // Some sets name files with their extension, others by stem: key both ways by stem.
  return new Map(rows.map((l) => l.split('\t') as [string, string]).map(([name, text]) => [name.replace(/\.wav$/, ''), text]));
}

export function loadClip(set: string, file: string): Clip {
  const wav = parseWav(new Uint8Array(readFileSync(join(AUDIO_DIR, set, file))));
  if (wav.format !== 'pcm16') throw new Error(`${file} is ${wav.format}`);
  const stem = file.replace(/\.wav$/, '');
  return { name: stem, reference: references(set).get(stem) ?? '', pcm16: wav.data, samples: new AudioDecoder('pcm16').decode(wav.data), sampleRate: wav.sampleRate };
}

/** PCM16 bytes of `seconds` of silence at 16 kHz. */
export const silence = (seconds: number): Uint8Array<ArrayBuffer> => new Uint8Array(Math.round(seconds * 16000) * 2);

export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/** 100 ms of 16 kHz PCM16: the frame size the tests stream in. */
export const FRAME_BYTES = 3200;

/** A mono WAV file's bytes holding `data` (`format` 1 = PCM, 3 = float, 6 = A-law, 7 = μ-law). */
export function monoWav(data: Uint8Array | readonly number[], o: { rate: number; format: number; bits: number }): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(44 + data.length);
  const h = new DataView(out.buffer);
  const width = o.bits / 8;
  out.set(new TextEncoder().encode('RIFF'), 0);
  h.setUint32(4, 36 + data.length, true);
  out.set(new TextEncoder().encode('WAVEfmt '), 8);
  h.setUint32(16, 16, true);
  h.setUint16(20, o.format, true);
  h.setUint16(22, 1, true);
  h.setUint32(24, o.rate, true);
  h.setUint32(28, o.rate * width, true);
  h.setUint16(32, width, true);
  h.setUint16(34, o.bits, true);
  out.set(new TextEncoder().encode('data'), 36);
  h.setUint32(40, data.length, true);
  out.set(data, 44);
  return out;
}

/** A mono PCM16 WAV file's bytes holding `pcm16`. */
export const pcm16Wav = (pcm16: Uint8Array, rate = 16000): Uint8Array<ArrayBuffer> => monoWav(pcm16, { rate, format: 1, bits: 16 });

/** 16 kHz PCM16 as 24 kHz PCM16, by linear interpolation: what an agent framework sends OpenAI's realtime API. */
export function pcm16At24k(pcm16: Uint8Array): Uint8Array<ArrayBuffer> {
  const input = new Int16Array(pcm16.buffer.slice(pcm16.byteOffset, pcm16.byteOffset + pcm16.length));
  const out = new Int16Array(Math.floor((input.length * 3) / 2));
  for (let i = 0; i < out.length; i++) {
    const x = (i * 2) / 3;
    const k = Math.floor(x);
    const a = input[k] ?? 0;
    out[i] = Math.round(a + ((input[k + 1] ?? a) - a) * (x - k));
  }
  return new Uint8Array(out.buffer);
}
