// Voice activity for one client stream: Silero judges each 32 ms window, so the moment speech
// starts or pauses is known to the window, in the stream's own input samples. Streaming decoders use
// it to end segments when speech stops and to skip silence. An engine hears all its streams' waiting
// windows in batched Silero calls (`hear`) before their audio is routed.
import { SpeechRule, WINDOW, type Silero, type SileroMemory } from './silero';
import type { SherpaModule, SherpaResampler } from './sherpa';

const RATE = 16000;
/** A window under -55 dBFS (RMS of samples in [-1, 1]) is no speech: Silero need not hear it. */
const FAINT = 10 ** (-55 / 20);

export type VoiceEvent =
  /** Speech began (after a pause). `at`: input samples since the gate began, to the end of the window that decided it. */
  | { readonly kind: 'onset'; readonly at: number }
  /** No speech since input sample `since`, for at least `pauseMs`. */
  | { readonly kind: 'pause'; readonly at: number; readonly since: number };

/** What a stream needs for voice activity: its engine's Silero, and sherpa for resampling. */
export interface VoiceSettings {
  readonly silero: Silero;
  readonly sherpa: SherpaModule;
}

/** What the gate heard in one message's samples: its events, and the input samples judged by its end. */
export interface Heard {
  readonly events: VoiceEvent[];
  readonly judged: number;
}

/**
 * Where speech starts and pauses in one stream's audio, at any input rate (resampled to 16 kHz for
 * Silero). Each message is listened to (`listen`), its windows judged (`hear`, with other streams'),
 * then taken with its events (`take`) as the decoder routes it.
 */
export class VoiceGate {
  private readonly resampler: SherpaResampler | undefined;
  /** This stream's place in Silero (`hear` runs its windows with it). */
  readonly memory: SileroMemory;
  private readonly rule = new SpeechRule();
  /** 16 kHz samples short of a whole window, kept for the next message. */
  private carry = new Float32Array(0);
  /** 16 kHz samples judged (priming excluded). */
  private fed = 0;
  /** Where (16 kHz samples) the current stretch without speech began; undefined while speech goes on. */
  private quietSince: number | undefined = 0;
  /** A pause was reported and no speech has come since. */
  private paused = true;
  /** Windows listened to and not yet judged, in order. */
  private readonly waiting: Float32Array[] = [];
  /** Messages listened to and not yet taken: their events so far and how many of their windows wait. */
  private readonly messages: { events: VoiceEvent[]; windows: number; judged: number | undefined }[] = [];

  constructor(
    { silero, sherpa }: VoiceSettings,
    private readonly rate: number,
    /** Silence that counts as a pause. */
    readonly pauseMs: number,
  ) {
    this.memory = silero.memory();
    this.resampler = rate === RATE ? undefined : new sherpa.LinearResampler(rate, RATE);
  }

  /** Takes a message's samples: its whole windows wait to be judged. */
  listen(samples: Float32Array): void {
    const pcm = this.resampler ? this.resampler.resample(samples, false) : samples;
    const all = this.carry.length === 0 ? pcm : concat(this.carry, pcm);
    let at = 0;
    for (; at + WINDOW <= all.length; at += WINDOW) this.waiting.push(all.subarray(at, at + WINDOW));
    this.carry = all.slice(at);
    this.messages.push({ events: [], windows: at / WINDOW, judged: undefined });
    this.settleMessages();
  }

  /**
   * The next window Silero must hear, or undefined when none waits. A faint window (a quiet room's
   * pauses, digital silence) is no speech without running it, but only while no speech is on: left
   * mid-speech, Silero would take the next sound for speech.
   */
  next(): Float32Array | undefined {
    while (this.waiting.length > 0) {
      const window = this.waiting[0]!;
      if (this.rule.speaking || rms(window) >= FAINT) return window;
      this.waiting.shift();
      this.judge('faint');
    }
    return undefined;
  }

  /** Silero's probability for the window `next` gave; `hear` runs it with the stream's memory. */
  settle(probability: number): void {
    this.waiting.shift();
    this.judge(this.rule.step(probability) ? 'speech' : 'quiet');
  }

  /** What the oldest message listened to was heard as; throws if its windows were not all judged. */
  take(): Heard {
    const m = this.messages[0];
    if (m?.judged === undefined) throw new Error('voice gate: audio routed before it was heard');
    this.messages.shift();
    return { events: m.events, judged: m.judged };
  }

  private judge(heard: 'speech' | 'quiet' | 'faint'): void {
    const m = this.messages.find((x) => x.windows > 0)!;
    m.windows--;
    this.fed += WINDOW;
    const pause = (this.pauseMs * RATE) / 1000;
    if (heard === 'speech') {
      this.quietSince = undefined;
      if (this.paused) (this.paused = false), m.events.push({ kind: 'onset', at: this.input(this.fed) });
    } else {
      // Speech ends after two quiet windows: the quiet began with the first. A faint window is quiet itself.
      this.quietSince ??= this.fed - (heard === 'quiet' ? 2 : 1) * WINDOW;
      if (!this.paused && this.fed - this.quietSince >= pause) {
        this.paused = true;
        m.events.push({ kind: 'pause', at: this.input(this.fed), since: this.input(this.quietSince) });
      }
    }
    this.settleMessages();
  }

  /** Messages whose windows (and all earlier ones) are judged know how far the detector has heard. */
  private settleMessages(): void {
    for (const m of this.messages) {
      if (m.windows > 0) return;
      m.judged ??= this.input(this.fed);
    }
  }

  private input(samples16k: number): number {
    return Math.round((samples16k * this.rate) / RATE);
  }
}

/**
 * Judges every window the gates wait on, in rounds: each round runs one Silero call over every gate
 * with a window waiting (a gate's windows go in order, one per round).
 */
export async function hear(silero: Silero, gates: Iterable<VoiceGate>): Promise<void> {
  let open = [...new Set(gates)];
  while (open.length > 0) {
    const round = open.map((gate) => ({ gate, window: gate.next() })).filter((r): r is { gate: VoiceGate; window: Float32Array } => r.window !== undefined);
    if (round.length === 0) return;
    const p = await silero.run(round.map((r) => ({ memory: r.gate.memory, window: r.window })));
    round.forEach((r, i) => r.gate.settle(p[i]!));
    open = round.map((r) => r.gate);
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
