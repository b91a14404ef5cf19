// A live session's audio kept as it arrived, when its client asked (`record=true`): one 16-bit mono
// WAV per session in VOXLOG_FILES_DIR/sessions/, on the same timeline as the session's word times,
// so a transcript view can play it and follow along. A resumed session appends to it.
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSamples, type Encoding } from '../audio/codecs';

const HEADER_BYTES = 44;

/** Where a session's recording lives (whether or not it exists). */
export const recordingPath = (dir: string, sessionId: string): string => join(dir, `${sessionId}.wav`);

/** A canonical 44-byte PCM16 mono WAV header for `dataBytes` of samples at `rate`. */
function wavHeader(rate: number, dataBytes: number): Uint8Array {
  const h = new DataView(new ArrayBuffer(HEADER_BYTES));
  const tag = (at: number, s: string) => [...s].forEach((c, i) => h.setUint8(at + i, c.charCodeAt(0)));
  tag(0, 'RIFF');
  h.setUint32(4, 36 + dataBytes, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  h.setUint32(16, 16, true);
  h.setUint16(20, 1, true);
  h.setUint16(22, 1, true);
  h.setUint32(24, rate, true);
  h.setUint32(28, rate * 2, true);
  h.setUint16(32, 2, true);
  h.setUint16(34, 16, true);
  tag(36, 'data');
  h.setUint32(40, dataBytes, true);
  return new Uint8Array(h.buffer);
}

/** Appends a session's audio to its WAV; the header's sizes are written as the file grows and at close. */
export class SessionRecording {
  private fd: number | undefined;
  private rate: number | undefined;
  private dataBytes = 0;
  /** Why recording stopped early, once it has. */
  stopped: string | undefined;

  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    // A resume: carry on after what the session's earlier connections kept.
    const fd = openSync(path, 'r');
    const head = new Uint8Array(HEADER_BYTES);
    try {
      if (readSync(fd, head, 0, HEADER_BYTES, 0) === HEADER_BYTES) {
        const view = new DataView(head.buffer);
        this.rate = view.getUint32(24, true);
        this.dataBytes = view.getUint32(40, true);
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Whole samples as the session decoded them. Returns why recording stopped when this chunk stopped
   * it: a WAV has one rate, so a `config` changing the sample rate ends the recording there.
   */
  write(bytes: Uint8Array, encoding: Encoding, rate: number): string | undefined {
    if (this.stopped) return undefined;
    this.rate ??= rate;
    if (rate !== this.rate) return (this.stopped = `the recording stopped at the change of sample rate from ${this.rate} to ${rate} Hz (a WAV holds one rate)`);
    const pcm = encoding === 'pcm16' ? bytes : toPcm16(decodeSamples(encoding, bytes));
    this.fd ??= openSync(this.path, existsSync(this.path) ? 'r+' : 'w+');
    writeSync(this.fd, pcm, 0, pcm.byteLength, HEADER_BYTES + this.dataBytes);
    this.dataBytes += pcm.byteLength;
    // The sizes follow every write, so a crash leaves a file every player reads up to its last frame.
    writeSync(this.fd, wavHeader(this.rate, this.dataBytes), 0, HEADER_BYTES, 0);
    return undefined;
  }

  /** Lets go of the file. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function toPcm16(samples: Float32Array): Uint8Array {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32768)));
  return new Uint8Array(pcm.buffer);
}
