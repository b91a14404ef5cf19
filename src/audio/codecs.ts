/** Audio encodings a client may declare for its binary frames. */
export const ENCODINGS = ['pcm16', 'mulaw', 'alaw', 'float32'] as const;
export type Encoding = (typeof ENCODINGS)[number];
/** Sample rates a client may declare: any whole number of Hz in this range (sherpa resamples). */
export const SAMPLE_RATE_RANGE = { min: 8000, max: 96000 } as const;

export const BYTES_PER_SAMPLE: Record<Encoding, number> = { pcm16: 2, mulaw: 1, alaw: 1, float32: 4 };

/** G.711 μ-law byte → linear sample in [-1, 1] (ITU-T G.711). */
export const MULAW = Float32Array.from({ length: 256 }, (_, i) => {
  const u = ~i & 0xff;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return ((u & 0x80 ? 0x84 - magnitude : magnitude - 0x84) / 32768);
});

/** G.711 A-law byte → linear sample in [-1, 1] (ITU-T G.711). */
export const ALAW = Float32Array.from({ length: 256 }, (_, i) => {
  const a = i ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let magnitude = ((a & 0x0f) << 4) + 8;
  if (exponent !== 0) magnitude = (magnitude + 0x100) << (exponent - 1);
  return (a & 0x80 ? magnitude : -magnitude) / 32768;
});

/**
 * Turns a client's binary frames into Float32 samples. A frame that ends mid-sample is not an
 * error on the wire (bridges split where they like): the partial bytes are carried to the next frame.
 */
const NO_BYTES = new Uint8Array(0);

export class AudioDecoder {
  private carry = NO_BYTES;

  constructor(readonly encoding: Encoding) {}

  /** Bytes of an incomplete sample waiting for the next frame. */
  get pendingBytes(): number {
    return this.carry.length;
  }

  decode(frame: Uint8Array): Float32Array {
    return decodeSamples(this.encoding, this.take(frame));
  }

  /**
   * The frame's whole samples as bytes the caller owns (a copy it may transfer), the rest carried:
   * sessions hand these to the engine host, which converts them (decodeSamples) off the main thread.
   */
  take(frame: Uint8Array): Uint8Array<ArrayBuffer> {
    const width = BYTES_PER_SAMPLE[this.encoding];
    let bytes = frame;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + frame.length);
      bytes.set(this.carry);
      bytes.set(frame, this.carry.length);
    }
    const whole = bytes.length - (bytes.length % width);
    // The hot path: most frames hold whole samples, so nothing is carried or allocated.
    // Copies (`new Uint8Array(view)`), never `slice`: a socket's Buffer slices by reference, and the
    // samples' buffer is handed over to the engine whole.
    this.carry = whole === bytes.length ? NO_BYTES : new Uint8Array(bytes.subarray(whole));
    return new Uint8Array(bytes.subarray(0, whole));
  }
}

/** Whole samples in `encoding` → Float32 in [-1, 1]. Aligned float32 bytes are viewed, not copied. */
export function decodeSamples(encoding: Encoding, bytes: Uint8Array): Float32Array {
  const n = bytes.length / BYTES_PER_SAMPLE[encoding];
  if (encoding === 'float32' && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (encoding) {
    case 'pcm16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32768;
      return out;
    case 'float32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'mulaw':
      for (let i = 0; i < n; i++) out[i] = MULAW[bytes[i]!]!;
      return out;
    case 'alaw':
      for (let i = 0; i < n; i++) out[i] = ALAW[bytes[i]!]!;
      return out;
    default: {
      const never: never = encoding;
      throw new Error(`unknown encoding ${never}`);
    }
  }
}
