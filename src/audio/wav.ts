/** A decoded WAV file: its format and its sample bytes, untouched. */
export interface Wav {
  readonly format: 'pcm16' | 'mulaw' | 'alaw' | 'float32';
  readonly sampleRate: number;
  readonly channels: number;
  readonly data: Uint8Array<ArrayBuffer>;
}

const FORMATS: Record<number, Wav['format'] | undefined> = { 1: 'pcm16', 3: 'float32', 6: 'alaw', 7: 'mulaw' };

/** Parses a RIFF/WAVE file (PCM16, float32, A-law or μ-law); throws with the reason on anything else. */
export function parseWav(bytes: Uint8Array<ArrayBuffer>): Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let fmt: Omit<Wav, 'data'> | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      let code = view.getUint16(body, true);
      if (code === 0xfffe) code = view.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE sub-format
      const bits = view.getUint16(body + 14, true);
      const format = FORMATS[code];
      if (!format || (format === 'pcm16' && bits !== 16)) throw new Error(`unsupported WAV encoding (format ${code}, ${bits} bits)`);
      fmt = { format, channels: view.getUint16(body + 2, true), sampleRate: view.getUint32(body + 4, true) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before fmt chunk');
      return { ...fmt, data: bytes.subarray(body, Math.min(bytes.length, body + size)) };
    }
    at = body + size + (size % 2);
  }
  throw new Error('WAV file has no data chunk');
}
