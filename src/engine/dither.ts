// Exact digital silence is not something the models heard in training: after speech, the default
// model writes "AND" (often "AND AND") into a run of zeros (muted microphones, WebRTC, μ-law 0xFF,
// voxlog's own flush padding), where the same clip followed by ±30 LSB of noise gives nothing.
// Dither at ±4 LSB, far below any microphone's noise floor, makes every kind of silence the same
// to the model (bench: WER after 2.5 s of zeros equals WER after ±30 LSB noise on every set).

/** Peak of the triangular dither, in 16-bit steps. */
const DITHER_LSB = 4;
const SCALE = DITHER_LSB / 32768;

/**
 * Adds triangular dither from a fixed-seed generator, advanced once per sample: the same audio gets
 * the same dither however it is split into pieces, so results stay deterministic.
 */
export class Dither {
  private state = 0x2545f491;

  /** Adds dither to `samples` in place (they are the caller's own: decoded for this call) and returns them. */
  apply(samples: Float32Array): Float32Array {
    for (let i = 0; i < samples.length; i++) samples[i]! += (this.next() - this.next()) * SCALE;
    return samples;
  }

  /** Dither alone: what a stretch of silence is padded with. */
  silence(length: number): Float32Array {
    return this.apply(new Float32Array(length));
  }

  /** xorshift32, scaled to [0, 1). */
  private next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
}
