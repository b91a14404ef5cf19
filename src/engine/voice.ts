// Voice activity for one client stream: Silero (through sherpa-onnx's Vad) fed one 32 ms window
// at a time, so the moment speech starts or pauses is known to the window, in the stream's own
// input samples. Streaming decoders use it to end segments when speech stops and to skip silence.
import type { SherpaModule, SherpaResampler, SherpaVad } from './sherpa';

const RATE = 16000;
/** Silero v5's hop at 16 kHz (32 ms). */
const WINDOW = 512;
/** Silence a fresh detector is primed with: unprimed, Silero is slow to trust speech that starts at once. */
const PRIMING_SAMPLES = RATE;
/**
 * sherpa's own segmentation is kept as fine as it goes (two quiet windows end a run, two loud ones
 * start one) and pauses are timed here: sherpa copies the whole current run at every window and
 * keeps it in a buffer, so short runs keep that cost and memory small.
 */
const RUN_SILENCE_S = WINDOW / RATE;
const RUN_SPEECH_S = WINDOW / RATE;
/**
 * A run is handed back to sherpa (flushed) every second: its buffer then never outgrows BUFFER_S
 * (growing it logs a line) and the per-window copy stays small. With a one-window silence rule a
 * flush is safe at any window: the next run cannot end before it starts.
 */
const FLUSH_WINDOWS = Math.round(RATE / WINDOW);
const BUFFER_S = 2;
/** A window under -55 dBFS (RMS of samples in [-1, 1]) is no speech: Silero need not hear it. */
const FAINT = 10 ** (-55 / 20);

/** Detectors a pool keeps for reuse (about 2.4 MB each). */
const POOL_KEEP = 64;
/** Spare detectors a pool makes ahead of need: two, and one for every four streams using one. */
const spares = (inUse: number) => Math.min(POOL_KEEP, 2 + Math.ceil(inUse / 4));

/**
 * Silero detectors for one model file, kept between streams. Making one builds an ONNX Runtime
 * session (about 17 ms and 2.4 MB with the 16 kHz graph; 42 ms and 10.8 MB with the full file);
 * resetting and priming a used one takes about 4 ms. Without the pool every new stream paid that on
 * the engine's thread, holding up every other stream on it.
 * Spares are made ahead of need, one per turn of the event loop, so a stream that opens while the
 * others are busy usually finds one ready.
 */
export class VadPool {
  private readonly idle: SherpaVad[] = [];
  private inUse = 0;
  private making: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly sherpa: SherpaModule,
    private readonly model: string,
  ) {}

  /** A detector ready for a new stream: reset and primed. */
  take(): SherpaVad {
    this.inUse++;
    const vad = this.idle.pop() ?? prime(this.create());
    this.makeSpares();
    return vad;
  }

  /** Takes back a stream's detector; it is reset at once, so the next stream gets it ready. */
  give(vad: SherpaVad): void {
    this.inUse--;
    if (this.idle.length >= POOL_KEEP) return;
    vad.reset();
    this.idle.push(prime(vad));
  }

  /** Detectors waiting for a stream. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Makes spares in the background (one per turn, between other messages) until there are enough. */
  makeSpares(): void {
    if (this.making || this.idle.length >= spares(this.inUse)) return;
    this.making = setTimeout(() => {
      this.making = undefined;
      if (this.idle.length < spares(this.inUse)) this.idle.push(prime(this.create()));
      this.makeSpares();
    }, 0);
    this.making.unref?.();
  }

  private create(): SherpaVad {
    return sileroVad(this.sherpa, this.model, { minSilenceS: RUN_SILENCE_S, minSpeechS: RUN_SPEECH_S, maxSpeechS: 3600 }, BUFFER_S);
  }

}

/**
 * A sherpa Silero detector at 16 kHz on one thread, as every voxlog use makes it (streams, offline
 * segments, batch chunking, the probe): `minSilenceS` of quiet ends a run, `minSpeechS` starts one,
 * `maxSpeechS` cuts a run that long; sherpa keeps up to `bufferS` of a run.
 */
export function sileroVad(sherpa: SherpaModule, model: string, run: { minSilenceS: number; minSpeechS: number; maxSpeechS?: number }, bufferS: number): SherpaVad {
  return new sherpa.Vad(
    {
      sileroVad: { model, threshold: 0.5, minSilenceDuration: run.minSilenceS, minSpeechDuration: run.minSpeechS, windowSize: WINDOW, ...(run.maxSpeechS === undefined ? {} : { maxSpeechDuration: run.maxSpeechS }) },
      sampleRate: RATE,
      numThreads: 1,
      provider: 'cpu',
      debug: 0,
    },
    bufferS,
  );
}

function prime(vad: SherpaVad): SherpaVad {
  for (let at = 0; at < PRIMING_SAMPLES; at += WINDOW) vad.acceptWaveform(new Float32Array(WINDOW));
  return vad;
}

export type VoiceEvent =
  /** Speech began (after a pause). `at`: input samples since the gate began, to the end of the window that decided it. */
  | { readonly kind: 'onset'; readonly at: number }
  /** No speech since input sample `since`, for at least `pauseMs`. */
  | { readonly kind: 'pause'; readonly at: number; readonly since: number };

/** Where speech starts and pauses in one stream's audio, at any input rate (resampled to 16 kHz for Silero). */
export class VoiceGate {
  private readonly vad: SherpaVad;
  private readonly resampler: SherpaResampler | undefined;
  /** 16 kHz samples short of a whole window, kept for the next call. */
  private carry = new Float32Array(0);
  /** 16 kHz samples fed to Silero (priming excluded). */
  private fed = 0;
  /** Where (16 kHz samples) the current stretch without speech began; undefined while speech goes on. */
  private quietSince: number | undefined = 0;
  /** A pause was reported and no speech has come since. */
  private paused = true;
  /** Windows of speech (by Silero) since its run began or was last flushed; 0: Silero is not in a run. */
  private run = 0;

  constructor(
    private readonly pool: VadPool,
    private readonly rate: number,
    /** Silence that counts as a pause. */
    readonly pauseMs: number,
  ) {
    this.vad = pool.take();
    this.resampler = rate === RATE ? undefined : new pool.sherpa.LinearResampler(rate, RATE);
  }

  /** Gives the detector back to its pool (the stream is over; this gate is not used again). */
  release(): void {
    this.pool.give(this.vad);
  }

  /**
   * Whether a window is speech: Silero's judgement, except that a faint window (a quiet room's pauses,
   * digital silence) is none without running it.
   */
  private judge(window: Float32Array): 'speech' | 'quiet' | 'faint' {
    // Only once Silero's own run has ended: left mid-run, it would take the next sound for speech.
    if (this.run === 0 && rms(window) < FAINT) return 'faint';
    this.vad.acceptWaveform(window);
    while (!this.vad.isEmpty()) this.vad.pop();
    if (!this.vad.isDetected()) return (this.run = 0), 'quiet';
    if (++this.run > FLUSH_WINDOWS) {
      this.vad.flush();
      while (!this.vad.isEmpty()) this.vad.pop();
      this.run = 1;
    }
    return 'speech';
  }

  /** Input samples the detector has judged (the rest wait for a whole window). */
  get judged(): number {
    return this.input(this.fed);
  }

  /** Feeds the stream's next samples; returns what changed, in order, each at the input sample that decided it. */
  push(samples: Float32Array): VoiceEvent[] {
    const pcm = this.resampler ? this.resampler.resample(samples, false) : samples;
    const all = this.carry.length === 0 ? pcm : concat(this.carry, pcm);
    const events: VoiceEvent[] = [];
    const pause = (this.pauseMs * RATE) / 1000;
    let at = 0;
    for (; at + WINDOW <= all.length; at += WINDOW) {
      const heard = this.judge(all.subarray(at, at + WINDOW));
      this.fed += WINDOW;
      if (heard === 'speech') {
        this.quietSince = undefined;
        if (this.paused) (this.paused = false), events.push({ kind: 'onset', at: this.input(this.fed) });
        continue;
      }
      // Silero ends a run after two quiet windows: the quiet began with the first. A faint window is quiet itself.
      this.quietSince ??= this.fed - (heard === 'quiet' ? 2 : 1) * WINDOW;
      if (!this.paused && this.fed - this.quietSince >= pause) {
        this.paused = true;
        events.push({ kind: 'pause', at: this.input(this.fed), since: this.input(this.quietSince) });
      }
    }
    this.carry = all.slice(at);
    return events;
  }

  private input(samples16k: number): number {
    return Math.round((samples16k * this.rate) / RATE);
  }
}

function rms(window: Float32Array): number {
  let energy = 0;
  for (let i = 0; i < window.length; i++) energy += window[i]! * window[i]!;
  return Math.sqrt(energy / window.length);
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
