import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PREFERRED_DEFAULT_MODEL } from '../models/catalog';
import { parseWav } from '../src/audio/wav';
import { pooled, wordErrorRate, type ErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, concat, loadClip, references, silence } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { finals, ofType, startTestServer, stream, type TestServer } from './helpers/server';

const REAL = PREFERRED_DEFAULT_MODEL;
const GREEDY = `${REAL}-greedy`;
/**
 * Bounds from what was measured through the server (shared/models/gigaspeech-zipformer-3.3M-en and
 * this project's bench), with margin: librispeech 0.059 beam / 0.081 greedy, jfk 0.045 beam / 0.18
 * greedy (one clip of 22 words, so a few words either way), telephony 0.18 on all three encodings.
 */
const BOUNDS = {
  librispeech: { [REAL]: 0.1, [GREEDY]: 0.13 } as Record<string, number>,
  jfk: { [REAL]: 0.14, [GREEDY]: 0.28 } as Record<string, number>,
  telephonyPcm16: 0.26,
  /** G.711 against the PCM16 transcript of the same prompt: 0.028 measured over all 60 prompts. */
  g711Disagreement: 0.1,
};

let server: TestServer;
beforeAll(async () => {
  // No VOXLOG_DEFAULT_MODEL: the server picks its own default, as on a fresh checkout.
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' });
});
afterAll(() => server.dispose());

/** Streams each clip (four at a time) and returns the server's transcript with the direct decode of the same audio. */
async function throughServer(set: string, model: string) {
  const files = readdirSync(join(AUDIO_DIR, set)).filter((f) => f.endsWith('.wav')).sort();
  const clips = files.map((f) => loadClip(set, f));
  const results: { reference: string; server: string[]; direct: string[] }[] = [];
  for (let i = 0; i < clips.length; i += 4) {
    const batch = clips.slice(i, i + 4);
    const outs = await Promise.all(batch.map((c) => stream(server.wsUrl({ model, sample_rate: String(c.sampleRate) }), c.pcm16, (c.sampleRate / 10) * 2)));
    for (const [j, c] of batch.entries()) {
      results.push({ reference: c.reference, server: finals(outs[j]!.messages).map((f) => f.raw_text ?? f.text), direct: await directDecode(model, c.pcm16, (c.sampleRate / 10) * 2, { sampleRate: c.sampleRate }) });
    }
  }
  return results;
}

describe('the real English model', () => {
  it('is the default model when it is on disk and none is configured', async () => {
    const out = await stream(server.wsUrl(), loadClip('jfk', 'jfk.wav').pcm16);
    expect(ofType(out.messages, 'ready')[0]!.model_id).toBe(REAL);
    const { models } = (await (await fetch(`${server.url}/api/v1/models`)).json()) as { models: { id: string; available: boolean }[] };
    expect(models.find((m) => m.id === REAL)?.available).toBe(true);
  });

  for (const model of [REAL, GREEDY]) {
    for (const set of ['librispeech', 'jfk'] as const) {
      const bound = BOUNDS[set][model]!;
      it(`${model}: transcribes ${set} as a direct sherpa-onnx decode does, with WER under ${bound}`, async () => {
        const results = await throughServer(set, model);
        for (const r of results) expect(r.server).toEqual(r.direct);
        const wer = pooled(results.map((r) => wordErrorRate(r.reference, r.server.join(' '))));
        console.log(`${model} on ${set}: ${results.length} clips, WER ${wer.rate.toFixed(3)} (${wer.errors}/${wer.reference})`);
        expect(wer.reference).toBeGreaterThan(20);
        expect(wer.rate).toBeLessThan(bound);
      });
    }
  }

  it('hears 8 kHz telephony as well through μ-law and A-law as through PCM16', async () => {
    const refs = references('telephony');
    const stems = [...refs.keys()].sort().slice(0, 16);
    const wers: Record<string, ErrorRate[]> = { pcm16: [], mulaw: [], alaw: [] };
    const disagreement: ErrorRate[] = [];
    for (const stem of stems) {
      const pcm = parseWav(new Uint8Array(readFileSync(join(AUDIO_DIR, 'telephony', 'pcm16', `${stem}.wav`)))).data;
      const [p, mu, a] = await Promise.all([
        stream(server.wsUrl({ sample_rate: '8000' }), pcm, 1600),
        stream(server.wsUrl({ encoding: 'mulaw', sample_rate: '8000' }), new Uint8Array(readFileSync(join(AUDIO_DIR, 'telephony', 'mulaw', `${stem}.ulaw`))), 800),
        stream(server.wsUrl({ encoding: 'alaw', sample_rate: '8000' }), new Uint8Array(readFileSync(join(AUDIO_DIR, 'telephony', 'alaw', `${stem}.alaw`))), 800),
      ]);
      const text = (o: typeof p) => finals(o.messages).map((f) => f.text).join(' ');
      wers.pcm16!.push(wordErrorRate(refs.get(stem)!, text(p)));
      wers.mulaw!.push(wordErrorRate(refs.get(stem)!, text(mu)));
      wers.alaw!.push(wordErrorRate(refs.get(stem)!, text(a)));
      disagreement.push(wordErrorRate(text(p), text(mu)), wordErrorRate(text(p), text(a)));
    }
    const rate = (k: string) => pooled(wers[k]!).rate;
    console.log(`telephony, ${stems.length} prompts: WER pcm16 ${rate('pcm16').toFixed(3)}, mulaw ${rate('mulaw').toFixed(3)}, alaw ${rate('alaw').toFixed(3)}; G.711 vs PCM16 ${pooled(disagreement).rate.toFixed(3)}`);
    expect(rate('pcm16')).toBeLessThan(BOUNDS.telephonyPcm16);
    expect(pooled(disagreement).rate).toBeLessThan(BOUNDS.g711Disagreement);
    for (const enc of ['mulaw', 'alaw']) expect(Math.abs(rate(enc) - rate('pcm16'))).toBeLessThan(0.05);
  });
});

describe('segments of one session', () => {
  it('never overlap: each final ends at or before the next one starts, and words lie inside their segment', async () => {
    const a = loadClip('librispeech', '1089-134686-0001.wav');
    const b = loadClip('librispeech', '1089-134691-0000.wav');
    // Gaps just over the 1.2 s endpoint rule, where the next speech starts within a chunk of the endpoint.
    const audio = concat([a.pcm16, silence(1.3), b.pcm16, silence(1.35), a.pcm16, silence(1.4), b.pcm16]);
    for (const model of [REAL, 'tiny-streaming-lstm-ctc-en']) {
      const fs = finals((await stream(server.wsUrl({ model }), audio)).messages);
      expect(fs.length).toBeGreaterThanOrEqual(3);
      fs.forEach((f, i) => {
        expect(f.end_ms).toBeGreaterThanOrEqual(f.start_ms);
        if (i > 0) expect(fs[i - 1]!.end_ms).toBeLessThanOrEqual(f.start_ms);
        for (const w of f.words) expect([w.start_ms >= f.start_ms, w.end_ms <= f.end_ms]).toEqual([true, true]);
      });
    }
  });
});
