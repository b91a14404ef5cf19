import { concat, loadClip, pcm16Wav, silence } from './audio';

/** The real 16 kHz clips, in a fixed order: JFK and the six LibriSpeech utterances. */
const CLIPS: readonly [string, string][] = [
  ['jfk', 'jfk.wav'],
  ...['0', '1', '1089-134686-0000', '1089-134686-0001', '1089-134691-0000', '1089-134691-0001'].map((n): [string, string] => ['librispeech', `${n}.wav`]),
];

export interface LongRecording {
  /** A 16 kHz mono PCM16 WAV file's bytes. */
  readonly wav: Uint8Array<ArrayBuffer>;
  readonly reference: string;
  readonly seconds: number;
  /** Where each clip starts and ends in the file, in ms. */
  readonly spans: readonly { readonly startMs: number; readonly endMs: number }[];
}

/**
 * A long real recording: the clips `rounds` times over, with pauses of 1 to 3 s between them (as
 * a talk or an interview has), so a job must cut it at silences and put every word back in order.
 */
export function longRecording(rounds: number): LongRecording {
  const parts: Uint8Array[] = [];
  const refs: string[] = [];
  const spans: { startMs: number; endMs: number }[] = [];
  let ms = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [i, [set, file]] of CLIPS.entries()) {
      const clip = loadClip(set, file);
      const clipMs = (clip.pcm16.length / 32000) * 1000;
      spans.push({ startMs: ms, endMs: ms + clipMs });
      const pause = 1 + ((r + i) % 3);
      parts.push(clip.pcm16, silence(pause));
      refs.push(clip.reference);
      ms += clipMs + pause * 1000;
    }
  }
  return { wav: pcm16Wav(concat(parts)), reference: refs.join(' '), seconds: ms / 1000, spans };
}
