import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWav } from '../../src/audio/wav';
import { finals, streamAudio } from '../../src/client/stream-client';
import { charErrorRate, pooled, wordErrorRate, type ErrorRate } from '../../src/scoring/wer';
import { references } from '../../test/helpers/audio';
import { startServerProcess } from '../lib/proc';

export interface AccuracyRow {
  readonly model: string;
  readonly set: string;
  readonly input: 'pcm16' | 'mulaw' | 'alaw';
  readonly clips: number;
  readonly words: number;
  readonly wer: number;
  readonly cer: number;
}

export interface Item {
  readonly name: string;
  readonly reference: string;
  readonly audio: Uint8Array<ArrayBuffer>;
  readonly encoding: 'pcm16' | 'mulaw' | 'alaw';
  readonly sampleRate: number;
}


/** Every set in ../shared/audio as streamable items; telephony also as its G.711 bytes. */
export function audioSets(audioDir: string, perSet: number): Map<string, Item[]> {
  const sets = new Map<string, Item[]>();
  for (const set of ['synthetic-seen', 'synthetic', 'librispeech', 'jfk']) {
    const refs = references(set);
    const files = readdirSync(join(audioDir, set)).filter((f) => f.endsWith('.wav')).sort().slice(0, perSet);
    sets.set(
      `${set}/pcm16`,
      files.map((f) => {
        const w = parseWav(new Uint8Array(readFileSync(join(audioDir, set, f))));
        return { name: f, reference: refs.get(f.replace(/\.wav$/, '')) ?? '', audio: w.data, encoding: 'pcm16' as const, sampleRate: w.sampleRate };
      }),
    );
  }
  const tel = join(audioDir, 'telephony');
  const refs = references('telephony');
  const stems = readdirSync(join(tel, 'pcm16')).filter((f) => f.endsWith('.wav')).sort().slice(0, perSet).map((f) => f.replace(/\.wav$/, ''));
  sets.set('telephony/pcm16', stems.map((s) => ({ name: s, reference: refs.get(s)!, audio: parseWav(new Uint8Array(readFileSync(join(tel, 'pcm16', `${s}.wav`)))).data, encoding: 'pcm16' as const, sampleRate: 8000 })));
  for (const [enc, ext] of [['mulaw', 'ulaw'], ['alaw', 'alaw']] as const) {
    sets.set(`telephony/${enc}`, stems.map((s) => ({ name: s, reference: refs.get(s)!, audio: new Uint8Array(readFileSync(join(tel, enc, `${s}.${ext}`))), encoding: enc, sampleRate: 8000 })));
  }
  return sets;
}

/** WER and CER per model, per audio set, per input encoding, through the server. */
export async function accuracy(models: string[], sets: Map<string, Item[]>): Promise<AccuracyRow[]> {
  const server = await startServerProcess();
  const rows: AccuracyRow[] = [];
  try {
    for (const model of models) {
      for (const [key, items] of sets) {
        const [set, input] = key.split('/') as [string, AccuracyRow['input']];
        const wers: ErrorRate[] = [];
        const cers: ErrorRate[] = [];
        for (let i = 0; i < items.length; i += 4) {
          const batch = items.slice(i, i + 4);
          const outs = await Promise.all(
            batch.map((it) =>
              streamAudio({
                url: server.wsUrl({ model, encoding: it.encoding, sample_rate: String(it.sampleRate), interim_ms: '0' }),
                audio: it.audio,
                frameBytes: Math.round(it.sampleRate / 10) * (it.encoding === 'pcm16' ? 2 : 1),
              }),
            ),
          );
          outs.forEach((o, j) => {
            const text = finals(o.messages).map((f) => f.raw_text ?? f.text).join(' '); // the recogniser's words (written text: section 16)
            wers.push(wordErrorRate(batch[j]!.reference, text));
            cers.push(charErrorRate(batch[j]!.reference, text));
          });
        }
        const w = pooled(wers);
        rows.push({ model, set, input, clips: items.length, words: w.reference, wer: w.rate, cer: pooled(cers).rate });
      }
    }
  } finally {
    await server.stop();
  }
  return rows;
}
