// The streaming decoder with the real Silero detector and a recognizer that records what it is fed:
// what reaches the model, in what order, and where segments end.
import { describe, expect, it } from 'bun:test';
import type { FromWorker } from '../src/engine/protocol';
import { loadSherpa, type SherpaOnlineRecognizer, type SherpaOnlineStream } from '../src/engine/sherpa';
import { Dither } from '../src/engine/dither';
import { StreamingDecoder } from '../src/engine/streaming-decoder';
import { VadPool } from '../src/engine/voice';
import { loadClip } from './helpers/audio';
import { vadModelPath } from './helpers/direct';

const RATE = 16000;
const vads = new VadPool(loadSherpa(), vadModelPath());

/** A recognizer that decodes nothing and keeps every sample it is given, per stream, with the resets between. */
function recorder() {
  const fed: { stream: number; samples: Float32Array }[] = [];
  const marks: { stream: number; kind: 'reset' | 'finished'; at: number }[] = [];
  let streams = 0;
  const total = (id: number) => fed.filter((f) => f.stream === id).reduce((n, f) => n + f.samples.length, 0);
  const recognizer = {
    createStream: () => {
      const id = streams++;
      return { id, acceptWaveform: (w: { samples: Float32Array }) => void fed.push({ stream: id, samples: w.samples.slice() }), inputFinished: () => void marks.push({ stream: id, kind: 'finished', at: total(id) }) };
    },
    isReady: () => false,
    decode: () => {},
    isEndpoint: () => false,
    reset: (s: SherpaOnlineStream) => void marks.push({ stream: (s as unknown as { id: number }).id, kind: 'reset', at: total((s as unknown as { id: number }).id) }),
    getResult: () => ({ text: 'words', tokens: [' words'], timestamps: [0], start_time: 0 }),
    decodeStreams: () => {},
  } satisfies SherpaOnlineRecognizer;
  return { recognizer, fed, marks };
}

/** ±`lsb` of fixed pseudo-random noise, as a quiet room gives. */
function noise(seconds: number, lsb = 30): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  let s = 3;
  for (let i = 0; i < out.length; i++) out[i] = (((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * lsb) / 32768;
  return out;
}

const floats = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
};

function run(audio: Float32Array, endpointingMs = 200, pool = vads) {
  const r = recorder();
  const posted: FromWorker[] = [];
  const d = new StreamingDecoder(r.recognizer, 's', 0, (m) => posted.push(m), { endpointingMs, vad: true, utteranceEndMs: 1000 }, pool);
  // Frames copied: the decoder dithers what it feeds in place, as the engine's own buffers allow.
  for (let at = 0; at < audio.length; at += 1600) d.accept(at / 1600, audio.slice(at, at + 1600), RATE);
  return { ...r, posted, d };
}

/** A clip cut to its speech: from 50 ms before its first loud sample to 50 ms after its last. */
function speechOf(samples: Float32Array): Float32Array {
  const loud = (x: number) => Math.abs(x) > 0.05;
  const first = samples.findIndex(loud);
  const last = samples.findLastIndex(loud);
  return samples.slice(Math.max(0, first - 800), Math.min(samples.length, last + 800));
}

describe('the streaming decoder with voice activity', () => {
  const a = speechOf(loadClip('librispeech', '1089-134686-0001.wav').samples);
  const b = speechOf(loadClip('librispeech', '1089-134691-0000.wav').samples);
  const audio = floats([noise(3), a, noise(2), b, noise(3)]);
  const speech = [
    [3 * RATE, 3 * RATE + a.length],
    [5 * RATE + a.length, 5 * RATE + a.length + b.length],
  ] as const;

  it('feeds the model each sample at most once, in order, and every sample of speech; long silence is not decoded', () => {
    const { fed, marks } = run(audio);
    expect(new Set(fed.map((f) => f.stream))).toEqual(new Set([0])); // one stream, reset between segments
    expect(marks.filter((m) => m.kind === 'reset').length).toBe(2);
    // The dither is deterministic: taken off again, each piece is the source audio (or, for padding, zeros).
    const dither = new Dither();
    const pieces = fed.map((f) => f.samples.map((x) => x - dither.silence(1)[0]!));
    let from = 0;
    let decoded = 0;
    const covered: [number, number][] = [];
    for (const p of pieces) {
      if (p.every((x) => Math.abs(x) < 1e-6)) continue; // tail padding
      let at = from;
      while (at + p.length <= audio.length && !(Math.abs(audio[at]! - p[0]!) < 1e-6 && Math.abs(audio[at + 1]! - p[1]!) < 1e-6 && Math.abs(audio[at + p.length - 1]! - p.at(-1)!) < 1e-6)) at++;
      expect(at + p.length).toBeLessThanOrEqual(audio.length); // found, and not before the last piece's end
      covered.push([at, at + p.length]);
      from = at + p.length;
      decoded += p.length;
    }
    const runs = covered.reduce<[number, number][]>((out, [cs, ce]) => (out.length > 0 && out.at(-1)![1] === cs ? (out.at(-1)![1] = ce) : out.push([cs, ce]), out), []);
    for (const [s, e] of speech) expect(runs.some(([rs, re]) => rs <= s && re >= e)).toBe(true);
    // 8 s of the audio is quiet: little of it reaches the model (pre-roll and the pause before each end).
    expect(decoded).toBeLessThan(a.length + b.length + 2 * RATE);
  });

  it('ends each stretch of speech with a final soon after it stops, says when speech starts, and when the utterance is over', () => {
    const { posted } = run(audio);
    const finals = posted.filter((m) => m.type === 'final') as Extract<FromWorker, { type: 'final' }>[];
    expect(finals.map((f) => f.reason)).toEqual(['endpoint', 'endpoint']);
    // Each final covers its speech and ends within a second after it (200 ms of silence plus the detector's windows).
    finals.forEach((f, i) => {
      const [s, e] = speech[i]!.map((x) => (x * 1000) / RATE) as [number, number];
      expect(f.startMs).toBeLessThanOrEqual(s);
      expect(f.endMs).toBeGreaterThanOrEqual(e - 300);
      expect(f.endMs).toBeLessThanOrEqual(e + 1000);
    });
    const starts = posted.filter((m) => m.type === 'speech_started') as Extract<FromWorker, { type: 'speech_started' }>[];
    expect(starts.length).toBe(2);
    starts.forEach((m, i) => expect(Math.abs(m.atMs - (speech[i]![0] * 1000) / RATE)).toBeLessThan(400));
    const ends = posted.filter((m) => m.type === 'utterance_end');
    expect(ends.length).toBe(2);
  });

  it('keeps one segment across a pause shorter than endpointing_ms', () => {
    const short = floats([noise(1), a, noise(0.6), b, noise(3)]);
    expect(run(short, 1000).posted.filter((m) => m.type === 'final').length).toBe(1);
    expect(run(short, 200).posted.filter((m) => m.type === 'final').length).toBe(2);
  });

  it('decodes nothing of ten minutes of quiet', () => {
    const r = recorder();
    const d = new StreamingDecoder(r.recognizer, 's', 0, () => {}, { endpointingMs: 200, vad: true, utteranceEndMs: 0 }, vads);
    const minute = noise(60);
    for (let m = 0; m < 10; m++) for (let at = 0; at < minute.length; at += 1600) d.accept(0, minute.slice(at, at + 1600), RATE);
    expect(r.fed.length).toBe(0);
    expect(d.audioMs).toBe(600_000);
  });

  it('reuses a closed stream\'s detector, which then hears exactly as a new one', () => {
    const pool = new VadPool(loadSherpa(), vadModelPath());
    const audio = floats([noise(1), a, noise(0.6), b, noise(1.5)]);
    const seen = (x: ReturnType<typeof run>) => ({ posted: [...x.posted], marks: x.marks.filter((m) => m.kind === 'reset'), fed: x.fed.map((f) => f.samples.length) });
    const first = run(audio, 200, pool);
    const heard = seen(first);
    expect(pool.idleCount).toBe(0);
    first.d.finalize(99, 'close');
    first.d.dispose();
    expect(pool.idleCount).toBe(1);
    const again = run(audio, 200, pool);
    expect(pool.idleCount).toBe(0);
    expect(seen(again)).toEqual(heard);
    expect(again.marks.filter((m) => m.kind === 'reset').length).toBe(2);
  });

  it('makes spare detectors between other work, two and one per four streams', async () => {
    const pool = new VadPool(loadSherpa(), vadModelPath());
    const settle = async (n: number) => {
      while (pool.idleCount < n) await Bun.sleep(5);
      await Bun.sleep(150);
    };
    pool.makeSpares();
    expect(pool.idleCount).toBe(0);
    await settle(2);
    expect(pool.idleCount).toBe(2);
    const taken = Array.from({ length: 8 }, () => pool.take());
    expect(pool.idleCount).toBe(0);
    await settle(4);
    expect(pool.idleCount).toBe(4);
    for (const vad of taken) pool.give(vad);
    expect(pool.idleCount).toBe(12);
  });
});
