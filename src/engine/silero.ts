// Silero v5 voice activity for many streams at once: one onnxruntime-node session per engine runs
// the 32 ms windows of every stream that has one waiting in a single batched call. Run one window at
// a time per stream (as sherpa-onnx's Vad does), Silero cost a third as much as decoding the default
// model; batched, its per-window cost falls with the batch (see bench section 15).
//
// Windows, state and the speech rule follow sherpa-onnx's Vad exactly as voxlog used it before
// (one-window minimums for speech and silence), so the events a stream gets are the same.
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadOnnxRuntime, type OnnxRuntime } from './onnxruntime';

/** Silero's hop at 16 kHz (32 ms). */
export const WINDOW = 512;
/** sherpa feeds the model each hop with the first 64 samples of the next (Silero v5's overlap at 16 kHz). */
const OVERLAP = 64;
const INPUT = WINDOW + OVERLAP;
/** Two LSTM layers of 128. */
const LAYER = 128;
const STATE = 2 * LAYER;
const THRESHOLD = 0.5;
/** Once speech is on, a window must fall this far under the threshold to count toward its end. */
const HYSTERESIS = 0.15;
/** Windows of silence a fresh stream's state has heard (sherpa's detector, primed with a second of it). */
const PRIMING_WINDOWS = 31;

/** One stream's place in Silero: its recurrent state and the hop before the next. */
export class SileroMemory {
  readonly state: Float32Array;
  /** The last hop given to the model (zeros after priming): the next model input begins with it. */
  last: Float32Array = new Float32Array(WINDOW);

  constructor(primed: Float32Array) {
    this.state = primed.slice();
  }
}

/**
 * sherpa-onnx's rule for whether a window is speech, with one-window minimums: two windows over the
 * threshold in a row start speech; it goes on while the probability stays above threshold − 0.15,
 * and ends at the second window under that since the probability last rose over the threshold.
 */
export class SpeechRule {
  /** Speech is on (sherpa: triggered). */
  speaking = false;
  private windows = 0;
  /** Window at which the probability first rose over the threshold (0: none pending). */
  private rose = 0;
  /** Window at which speech first fell under threshold − 0.15 (0: none pending). */
  private fell = 0;

  step(p: number): boolean {
    this.windows++;
    if (p > THRESHOLD) this.fell = 0;
    if (!this.speaking) {
      if (p > THRESHOLD) {
        if (this.rose === 0) return (this.rose = this.windows), false;
        return (this.speaking = true);
      }
      if (p < THRESHOLD) this.rose = this.fell = 0;
      return false;
    }
    if (p > THRESHOLD - HYSTERESIS) return true;
    if (this.fell === 0) this.fell = this.windows;
    if (this.windows === this.fell) return true;
    this.speaking = false;
    this.rose = this.fell = 0;
    return false;
  }
}

/** A window a stream waits to have judged, and the memory it advances. */
export interface Listening {
  readonly memory: SileroMemory;
  readonly window: Float32Array;
}

/** The Silero model of one engine, shared by all its streams. */
export class Silero {
  private primed = new Float32Array(STATE);
  private readonly sr: Tensor;

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: InferenceSession,
  ) {
    this.sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  }

  /** Loads the 16 kHz graph on one thread; throws if the file is not a Silero v5 model (wrong inputs or outputs). */
  static async load(path: string): Promise<Silero> {
    const ort = loadOnnxRuntime();
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    const io = `${session.inputNames.join(',')} -> ${session.outputNames.join(',')}`;
    if (io !== 'input,state,sr -> output,stateN') throw new Error(`${path} is not a Silero v5 model (${io})`);
    const silero = new Silero(ort, session);
    const memory = new SileroMemory(silero.primed);
    for (let i = 0; i < PRIMING_WINDOWS; i++) await silero.run([{ memory, window: new Float32Array(WINDOW) }]);
    silero.primed = memory.state.slice();
    return silero;
  }

  /** A fresh stream's memory: as after a second of silence. */
  memory(): SileroMemory {
    return new SileroMemory(this.primed);
  }

  /**
   * Speech probability of each stream's window, in one call: the model hears each stream's last hop
   * and the first 64 samples of this one (as sherpa feeds it); states and last hops advance.
   */
  async run(batch: readonly Listening[]): Promise<Float32Array> {
    const b = batch.length;
    const input = new Float32Array(b * INPUT);
    const state = new Float32Array(2 * b * LAYER);
    batch.forEach(({ memory, window }, i) => {
      input.set(memory.last, i * INPUT);
      input.set(window.subarray(0, OVERLAP), i * INPUT + WINDOW);
      state.set(memory.state.subarray(0, LAYER), i * LAYER);
      state.set(memory.state.subarray(LAYER), (b + i) * LAYER);
    });
    const { Tensor } = this.ort;
    const out = await this.session.run({ input: new Tensor('float32', input, [b, INPUT]), state: new Tensor('float32', state, [2, b, LAYER]), sr: this.sr });
    const next = out.stateN!.data as Float32Array;
    batch.forEach(({ memory, window }, i) => {
      memory.state.set(next.subarray(i * LAYER, (i + 1) * LAYER), 0);
      memory.state.set(next.subarray((b + i) * LAYER, (b + i + 1) * LAYER), LAYER);
      memory.last = window;
    });
    return out.output!.data as Float32Array;
  }
}
