// Groups voice-activity segments into chunks a recogniser can decode independently: cut in the
// silence between speech, never longer than a bound, with the long silences left out.

/** A stretch of the file's audio (16 kHz), cut at silences, to be decoded on its own. */
export interface AudioChunk {
  readonly index: number;
  /** Where the chunk starts on the file's timeline, in samples at 16 kHz. */
  readonly start: number;
  readonly samples: Float32Array;
}

export interface ChunkerOptions {
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
 * absolute sample positions, in order), and finished chunks come out. It holds only the audio of
 * the chunk being built plus the span a late speech segment can still reach back to.
 */
export class Chunker {
  private pieces: Float32Array[] = [];
  /** Absolute sample index of `pieces[0][0]`. */
  private bufferStart = 0;
  private total = 0;
  /** Speech extent of the chunk being built. */
  private open: { start: number; end: number } | undefined;
  /** End of the last chunk handed out: the next one never starts before it. */
  private lastCut = 0;
  private nextIndex = 0;

  constructor(private readonly o: ChunkerOptions) {}

  /** Samples pushed so far. */
  get position(): number {
    return this.total;
  }

  push(samples: Float32Array): void {
    this.pieces.push(samples);
    this.total += samples.length;
    this.trim();
  }

  /** Closes the chunk being built once the VAD hears no speech and the silence after it is long enough. */
  silence(speaking: boolean): AudioChunk[] {
    if (speaking || !this.open || this.total - this.open.end < this.o.closeAfterSamples) return [];
    const chunk = this.cut(this.open.end + this.o.padSamples);
    this.trim();
    return [chunk];
  }

  /** A speech segment [start, end); `end` is never past what was pushed. */
  speech(start: number, end: number): AudioChunk[] {
    const out: AudioChunk[] = [];
    if (this.open && end + this.o.padSamples - Math.max(this.lastCut, this.open.start - this.o.padSamples) > this.o.maxSamples) {
      // Cut in the silence between the two, no further than the padding after the last speech.
      const gapMiddle = Math.max(this.open.end, Math.floor((this.open.end + start) / 2));
      out.push(this.cut(Math.min(this.open.end + this.o.padSamples, gapMiddle)));
    }
    if (this.open) this.open.end = Math.max(this.open.end, end);
    else this.open = { start, end };
    // Only now: the new chunk's audio starts before the cut just made.
    this.trim();
    return out;
  }

  /** End of input: the chunk being built, if any. */
  finish(): AudioChunk[] {
    return this.open ? [this.cut(this.open.end + this.o.padSamples)] : [];
  }

  private cut(endAt: number): AudioChunk {
    const open = this.open!;
    const from = Math.max(this.lastCut, this.bufferStart, open.start - this.o.padSamples);
    const to = Math.max(from, Math.min(endAt, this.total));
    const samples = this.slice(from, to);
    this.open = undefined;
    this.lastCut = to;
    return { index: this.nextIndex++, start: from, samples };
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

  /** Drops audio no chunk can need: before the open chunk, or older than a maximal chunk back. */
  private trim(): void {
    const keepFrom = this.open ? Math.max(this.lastCut, this.open.start - this.o.padSamples) : Math.max(this.lastCut, this.total - this.o.maxSamples - this.o.closeAfterSamples - this.o.padSamples);
    while (this.pieces.length > 0 && this.bufferStart + this.pieces[0]!.length <= keepFrom) this.bufferStart += this.pieces.shift()!.length;
  }
}
