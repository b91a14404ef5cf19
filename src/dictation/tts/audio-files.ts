// Generated speech on disk, content-addressed: one file per (text, locale, voice, speed).
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readWavHeader, WavError } from '../../audio/wav';
import { TtsError } from './providers';

/** The key identical requests share: SHA-256 over (text, locale, voice, speed). */
export const audioHash = (text: string, locale: string, voice: string, speed: number): string =>
  new Bun.CryptoHasher('sha256').update(JSON.stringify([text, locale, voice, speed])).digest('hex');

/** What a finished file is, as `TtsCompleted` records it. */
export interface AudioFacts {
  readonly file_sha256: string;
  readonly bytes: number;
  readonly duration_ms: number;
  readonly sample_rate: number;
}

export class AudioFiles {
  constructor(private readonly root: string) {}

  /** Where the audio for `hash` lives: `<data dir>/tts/ab/abcdef….wav`. */
  path(hash: string): string {
    return join(this.root, hash.slice(0, 2), `${hash}.wav`);
  }

  /**
   * Lets `write` make the file under a temporary name, checks it is a WAV with samples, then moves
   * it into place, so a reader never sees half a file.
   */
  async produce(hash: string, write: (tmp: string) => Promise<void>): Promise<AudioFacts> {
    const final = this.path(hash);
    mkdirSync(dirname(final), { recursive: true });
    const tmp = `${final}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      await write(tmp);
      const facts = await describe(tmp);
      renameSync(tmp, final);
      return facts;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  remove(hash: string): void {
    rmSync(this.path(hash), { force: true });
  }
}

async function describe(path: string): Promise<AudioFacts> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new TtsError('the voice wrote no file', false);
  }
  const bytes = new Uint8Array(await Bun.file(path).arrayBuffer());
  let header;
  try {
    header = readWavHeader((at, n) => bytes.subarray(at, at + n), size);
  } catch (err) {
    throw new TtsError(`the voice wrote something that is not a WAV file: ${err instanceof WavError ? err.message : String(err)}`, false);
  }
  if (header.dataBytes === 0) throw new TtsError('the voice produced no audio for this text', false);
  return {
    file_sha256: new Bun.CryptoHasher('sha256').update(bytes).digest('hex'),
    bytes: size,
    duration_ms: Math.round((header.dataBytes / header.blockAlign / header.sampleRate) * 1000),
    sample_rate: header.sampleRate,
  };
}
