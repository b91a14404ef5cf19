// Silence of any kind gives no words: the exact zeros of a muted microphone, WebRTC or voxlog's own
// flush padding, μ-law silence (0xFF), and dithered or line-noise silence, after real speech, on
// the default model (which, fed exact zeros, used to write "AND" into them).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PREFERRED_DEFAULT_MODEL as DEFAULT_MODEL_ID } from '../models/catalog';
import { AUDIO_DIR, concat, loadClip } from './helpers/audio';
import { finals, startTestServer, stream, type TestServer } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: DEFAULT_MODEL_ID });
});
afterAll(() => server.dispose());

/** 2.5 s of 16 kHz PCM16 from `sample(i)`. */
const tail = (sample: (i: number) => number) => {
  const out = new Uint8Array(40_000 * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 40_000; i++) view.setInt16(i * 2, sample(i), true);
  return out;
};
/** A fixed pseudo-random sequence in [-1, 1). */
const noise = () => {
  let s = 12345;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1;
};
const TAILS: Record<string, () => Uint8Array> = {
  'exact zeros': () => tail(() => 0),
  '±30 LSB noise': () => {
    const r = noise();
    return tail(() => Math.round(r() * 30));
  },
  'a 50 Hz hum at -60 dBFS': () => tail((i) => Math.round(33 * Math.sin((2 * Math.PI * 50 * i) / 16000))),
};

/** Words the model put after the speech ended (allowing 300 ms for its last word to run on). */
async function wordsInSilence(speech: Uint8Array, silence: Uint8Array, query: Record<string, string> = {}, bytesPerMs = 32): Promise<string[]> {
  const out = await stream(server.wsUrl(query), concat([speech, silence]), 3200);
  const speechEndMs = speech.length / bytesPerMs;
  return finals(out.messages).flatMap((f) => f.words.filter((w) => w.start_ms > speechEndMs + 300).map((w) => w.word));
}

describe('silence after speech (default model)', () => {
  const clips = ['0.wav', '1.wav', '1089-134686-0000.wav', '1089-134686-0001.wav', '1089-134691-0000.wav', '1089-134691-0001.wav'].map((f) => loadClip('librispeech', f));

  for (const [kind, make] of Object.entries(TAILS)) {
    it(`gives no words in ${kind}`, async () => {
      const heard: string[] = [];
      for (const clip of clips) heard.push(...(await wordsInSilence(clip.pcm16, make())));
      expect(heard).toEqual([]);
    }, 60_000);
  }

  it('gives no words in μ-law silence (0xFF) after a telephone prompt', async () => {
    const heard: string[] = [];
    for (const stem of ['demo-congrats', 'vm-newuser', 'dir-instr']) {
      const speech = new Uint8Array(readFileSync(join(AUDIO_DIR, 'telephony', 'mulaw', `${stem}.ulaw`)));
      heard.push(...(await wordsInSilence(speech, new Uint8Array(20_000).fill(0xff), { encoding: 'mulaw', sample_rate: '8000' }, 8)));
    }
    expect(heard).toEqual([]);
  }, 60_000);
});
