// Cuts a file's audio into chunks a recogniser can decode independently: cut in the silence
// between speech, never longer than a bound, and together covering every sample of the file (a
// stretch the VAD calls silence is decoded too: it may hold speech too quiet for it).

/** A stretch of the file's audio (at its own rate), cut at silences, to be decoded on its own. */
export interface AudioChunk {
  readonly index: number;
  /** Where the chunk starts on the file's timeline, in samples at the file's rate. */
  readonly start: number;
  readonly samples: Float32Array;
  /**
   * The audio just before `start` (up to 2 s; none for the first chunk): decoded ahead of the chunk
   * so its first word is heard in context, its own words left to the chunk before.
   */
  readonly context: Float32Array;
  /**
   * The audio just after the chunk that had arrived when it was cut (up to 1 s): decoded after it, so
   * a word running across the cut is heard whole by the chunk it starts in.
   */
  readonly lookahead: Float32Array;
}

/** The span a cut is chosen by, and how far back into talk that ran on a cut may go, in seconds. */
const QUIET_FRAME_S = 0.02;
const SEARCH_BACK_S = 3;
/** Audio before a chunk handed out with it as context, in seconds. */
const CONTEXT_S = 2;
const LOOKAHEAD_S = 1;

export interface ChunkerOptions {
  /** Samples per second of the audio pushed (every other option counts these samples). */
  readonly rate: number;
  /** Longest chunk, in samples. */
  readonly maxSamples: number;
  /** Audio kept before the first speech of a chunk, and after its last (Silero marks speech a little late and early). */
  readonly padSamples: number;
  /**
   * Silence after speech that closes the chunk without waiting for more speech. Speech must be
   * reported (`speech`) within this long after it ends: older audio may already be dropped.
   */
  readonly closeAfterSamples: number;
}

/**
 * Pure and synchronous: audio goes in with `push`, the VAD's speech segments with `speech` (in
 * absolute sample positions, in order), and finished chunks come out, each starting where the last
 * ended. It holds the audio from the end of the last chunk on, which the VAD bounds: it reports
 * speech at most a chunk long, and silence is handed out once it is long enough.
 */
export class Chunker {
  private pieces: Float32Array[] = [];
  /** Absolute sample index of `pieces[0][0]`. */
  private bufferStart = 0;
  private total = 0;
  /** Speech extent of the chunk being built. */
  private open: { start: number; end: number } | undefined;
  /** End of the last chunk handed out: the next one starts there. */
  private lastCut = 0;
  private nextIndex = 0;
  private readonly quietFrame: number;
  private readonly searchBack: number;
  private readonly contextSamples: number;

  constructor(private readonly o: ChunkerOptions) {
    this.quietFrame = 2 * Math.round((QUIET_FRAME_S * o.rate) / 2);
    this.searchBack = Math.round(SEARCH_BACK_S * o.rate);
    this.contextSamples = Math.round(CONTEXT_S * o.rate);
  }

  /** Samples pushed so far. */
  get position(): number {
    return this.total;
  }

  push(samples: Float32Array): void {
    this.pieces.push(samples);
    this.total += samples.length;
  }

  /**
   * The VAD's state after the audio pushed so far. Not speaking: a chunk whose speech ended long
   * enough ago is closed, and a long silence is handed out (a margin before now stays, where speech
   * may be starting that the VAD has not confirmed yet).
   */
  silence(speaking: boolean): AudioChunk[] {
    if (speaking) return [];
    if (this.open) return this.total - this.open.end < this.o.closeAfterSamples ? [] : this.cutAt(this.open.end + this.o.padSamples);
    return this.total - this.lastCut >= this.o.maxSamples + this.o.closeAfterSamples ? this.cutAt(this.total - this.o.closeAfterSamples) : [];
  }

  /** A speech segment [start, end); `end` is never past what was pushed. */
  speech(start: number, end: number): AudioChunk[] {
    const out: AudioChunk[] = [];
    if (this.open && end + this.o.padSamples - Math.max(this.lastCut, this.open.start - this.o.padSamples) > this.o.maxSamples) {
      // The quietest moment in the gap between the two; where the VAD split talk that ran on
      // (no gap), the quietest moment of its last seconds: between words, not through one.
      const hi = Math.min(start, this.lastCut + this.o.maxSamples);
      const lo = start - this.open.end >= this.quietFrame ? this.open.end : Math.max(this.lastCut + Math.floor(this.o.maxSamples / 2), hi - this.searchBack);
      out.push(...this.cutAt(this.quietest(lo, hi)));
    }
    if (this.open) this.open.end = Math.max(this.open.end, end);
    else this.open = { start, end };
    return out;
  }

  /** End of input: everything not handed out yet. */
  finish(): AudioChunk[] {
    return this.cutAt(this.total);
  }

  /**
   * Hands out the audio up to `end`: the chunk being built, after the silence before its speech in
   * chunks of their own where it would not fit in one.
   */
  private cutAt(end: number): AudioChunk[] {
    const to = Math.max(this.lastCut, Math.min(end, this.total));
    const speechFrom = this.open ? Math.max(this.lastCut, Math.min(to, this.open.start - this.o.padSamples)) : to;
    const out: AudioChunk[] = [];
    while (to - this.lastCut > this.o.maxSamples) out.push(this.take(Math.min(this.lastCut + this.o.maxSamples, speechFrom > this.lastCut ? speechFrom : this.lastCut + this.o.maxSamples)));
    if (to > this.lastCut) out.push(this.take(to));
    this.open = undefined;
    return out;
  }

  /** The middle of the quietest 20 ms between `lo` and `hi` (ties: the one nearest the middle); the middle when there is no room to choose. */
  private quietest(lo: number, hi: number): number {
    const from = Math.max(lo, this.bufferStart, this.lastCut);
    const middle = Math.floor((from + hi) / 2);
    if (hi - from < this.quietFrame) return Math.max(this.lastCut + 1, middle);
    const audio = this.slice(from, hi);
    let best = middle;
    let bestEnergy = Number.POSITIVE_INFINITY;
    for (let at = 0; at + this.quietFrame <= audio.length; at += this.quietFrame / 2) {
      let energy = 0;
      for (let i = at; i < at + this.quietFrame; i++) energy += audio[i]! * audio[i]!;
      const centre = from + at + this.quietFrame / 2;
      if (energy < bestEnergy || (energy === bestEnergy && Math.abs(centre - middle) < Math.abs(best - middle))) (bestEnergy = energy), (best = centre);
    }
    return best;
  }

  private slice(from: number, to: number): Float32Array {
    const out = new Float32Array(to - from);
    let at = this.bufferStart;
    for (const p of this.pieces) {
      const lo = Math.max(from, at);
      const hi = Math.min(to, at + p.length);
      if (hi > lo) out.set(p.subarray(lo - at, hi - at), lo - from);
      at += p.length;
    }
    return out;
  }

  /** The chunk from the last cut to `to`; the audio before it is let go. */
  private take(to: number): AudioChunk {
    const from = this.lastCut;
    const chunk = {
      index: this.nextIndex++,
      start: from,
      samples: this.slice(from, to),
      context: this.slice(Math.max(this.bufferStart, from - this.contextSamples), from),
      lookahead: this.slice(to, Math.min(this.total, to + Math.round(LOOKAHEAD_S * this.o.rate))),
    };
    this.lastCut = to;
    while (this.pieces.length > 0 && this.bufferStart + this.pieces[0]!.length <= to - this.contextSamples) this.bufferStart += this.pieces.shift()!.length;
    return chunk;
  }
}
