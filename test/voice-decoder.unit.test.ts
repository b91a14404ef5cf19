// The streaming decoder with the real Silero detector and a recognizer that records what it is fed:
// what reaches the model, in what order, and where segments end; and Silero itself, batched, against
// sherpa-onnx's own detector.
import { describe, expect, it } from 'bun:test';
import type { FromWorker } from '../src/engine/protocol';
import { loadSherpa, type SherpaOnlineRecognizer, type SherpaOnlineStream } from '../src/engine/sherpa';
import { Dither } from '../src/engine/dither';
import { StreamingDecoder } from '../src/engine/streaming-decoder';
import { join } from 'node:path';
import { Silero, SpeechRule } from '../src/engine/silero';
import { hear, VoiceGate, type VoiceEvent } from '../src/engine/voice';
import { loadClip, SHARED_DIR } from './helpers/audio';
import { vadModelPath } from './helpers/direct';

const RATE = 16000;
const sherpa = loadSherpa();
const silero = await Silero.load(vadModelPath());

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

/** Feeds one frame as the engine does: listened to, heard, then decoded. */
async function accept(d: StreamingDecoder, seq: number, frame: Float32Array): Promise<void> {
  const gate = d.listen(frame, RATE);
  if (gate) await hear(silero, [gate]);
  d.accept(seq, frame, RATE);
}

async function run(audio: Float32Array, endpointingMs = 200) {
  const r = recorder();
  const posted: FromWorker[] = [];
  const d = new StreamingDecoder(r.recognizer, 's', 0, (m) => posted.push(m), { endpointingMs, vad: true, utteranceEndMs: 1000 }, { silero, sherpa });
  // Frames copied: the decoder dithers what it feeds in place, as the engine's own buffers allow.
  for (let at = 0; at < audio.length; at += 1600) await accept(d, at / 1600, audio.slice(at, at + 1600));
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

  it('feeds the model each sample at most once, in order, and every sample of speech; long silence is not decoded', async () => {
    const { fed, marks } = await run(audio);
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

  it('ends each stretch of speech with a final soon after it stops, says when speech starts, and when the utterance is over', async () => {
    const { posted } = await run(audio);
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

  it('keeps one segment across a pause shorter than endpointing_ms', async () => {
    const short = floats([noise(1), a, noise(0.6), b, noise(3)]);
    expect((await run(short, 1000)).posted.filter((m) => m.type === 'final').length).toBe(1);
    expect((await run(short, 200)).posted.filter((m) => m.type === 'final').length).toBe(2);
  });

  it('decodes nothing of ten minutes of quiet', async () => {
    const r = recorder();
    const d = new StreamingDecoder(r.recognizer, 's', 0, () => {}, { endpointingMs: 200, vad: true, utteranceEndMs: 0 }, { silero, sherpa });
    const minute = noise(60);
    for (let m = 0; m < 10; m++) for (let at = 0; at < minute.length; at += 1600) await accept(d, 0, minute.slice(at, at + 1600));
    expect(r.fed.length).toBe(0);
    expect(d.audioMs).toBe(600_000);
  });

  it('refuses to route audio its detector has not heard', () => {
    const d = new StreamingDecoder(recorder().recognizer, 's', 0, () => {}, { endpointingMs: 200, vad: true, utteranceEndMs: 0 }, { silero, sherpa });
    expect(() => d.accept(0, noise(0.1), RATE)).toThrow('before it was heard');
    d.listen(noise(0.1), RATE);
    expect(() => d.accept(0, noise(0.1), RATE)).toThrow('before it was heard');
  });

});

describe('Silero through onnxruntime-node', () => {
  /** Each 32 ms window's verdict from sherpa-onnx's own detector, primed as voxlog primed it (one-window minimums). */
  function sherpaVerdicts(samples: Float32Array): boolean[] {
    const vad = new sherpa.Vad({ sileroVad: { model: vadModelPath(), threshold: 0.5, minSilenceDuration: 0.032, minSpeechDuration: 0.032, windowSize: 512, maxSpeechDuration: 3600 }, sampleRate: RATE, numThreads: 1, provider: 'cpu', debug: 0 }, 2);
    for (let i = 0; i < 32; i++) vad.acceptWaveform(new Float32Array(512));
    const out: boolean[] = [];
    for (let at = 0; at + 512 <= samples.length; at += 512) {
      vad.acceptWaveform(samples.slice(at, at + 512));
      while (!vad.isEmpty()) vad.pop();
      out.push(vad.isDetected());
      // Its segment buffer is 2 s: hand a long run back each second (flushing does not touch the verdicts).
      if (out.length % 30 === 0) {
        vad.flush();
        while (!vad.isEmpty()) vad.pop();
      }
    }
    return out;
  }

  it('judges every window of real speech as sherpa-onnx\'s detector does', async () => {
    const clip = floats([noise(0.5), loadClip('librispeech', '1089-134686-0000.wav').samples, noise(1)]);
    const expected = sherpaVerdicts(clip);
    const memory = silero.memory();
    const rule = new SpeechRule();
    const got: boolean[] = [];
    for (let at = 0; at + 512 <= clip.length; at += 512) got.push(rule.step((await silero.run([{ memory, window: clip.slice(at, at + 512) }]))[0]!));
    expect(got.length).toBe(expected.length);
    expect(got.filter(Boolean).length).toBeGreaterThan(got.length / 3); // the clip is mostly speech: the comparison means something
    expect(got).toEqual(expected);
  });

  it('hears many streams at once exactly as one at a time, whatever their rates and frame sizes', async () => {
    const clips = [
      { rate: 16000, samples: floats([noise(0.4), loadClip('librispeech', '1089-134691-0000.wav').samples, noise(0.8)]), frame: 320 },
      { rate: 16000, samples: floats([new Float32Array(8000), loadClip('jfk', 'jfk.wav').samples.subarray(0, 5 * RATE), new Float32Array(16000)]), frame: 1600 },
      { rate: 8000, samples: loadClip('telephony', 'pcm16/vm-newuser.wav').samples, frame: 160 },
    ];
    const alone: VoiceEvent[][] = [];
    for (const c of clips) {
      const gate = new VoiceGate({ silero, sherpa }, c.rate, 100);
      const events: VoiceEvent[] = [];
      for (let at = 0; at < c.samples.length; at += c.frame) {
        gate.listen(c.samples.slice(at, at + c.frame));
        await hear(silero, [gate]);
        events.push(...gate.take().events);
      }
      alone.push(events);
    }
    expect(alone.every((e) => e.some((x) => x.kind === 'onset') && e.some((x) => x.kind === 'pause'))).toBe(true);
    // Together: each pass gives each stream one to three frames, all heard in one call.
    const gates = clips.map((c) => new VoiceGate({ silero, sherpa }, c.rate, 100));
    const together: VoiceEvent[][] = clips.map(() => []);
    const at = clips.map(() => 0);
    for (let pass = 0; clips.some((c, i) => at[i]! < c.samples.length); pass++) {
      const taken = clips.map((c, i) => {
        let n = 0;
        for (; n < 1 + ((pass + i) % 3) && at[i]! < c.samples.length; n++) gates[i]!.listen(c.samples.slice(at[i]!, (at[i]! += c.frame)));
        return n;
      });
      await hear(silero, gates);
      taken.forEach((n, i) => {
        for (let k = 0; k < n; k++) together[i]!.push(...gates[i]!.take().events);
      });
    }
    expect(together).toEqual(alone);
  });

  it('will not load a file that is not Silero v5', async () => {
    await expect(Silero.load(join(SHARED_DIR, 'models', 'tiny-offline-bigru-ctc-en', 'model.onnx'))).rejects.toThrow('is not a Silero v5 model');
  });
});
