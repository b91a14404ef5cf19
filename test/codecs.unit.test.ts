import { describe, expect, it } from 'bun:test';
import { AudioDecoder } from '../src/audio/codecs';
import { parseWav } from '../src/audio/wav';
import { monoWav } from './helpers/audio';

describe('decoding client audio frames', () => {
  it('turns little-endian PCM16 into samples in [-1, 1)', () => {
    const bytes = new Uint8Array(new Int16Array([0, 16384, -32768, 32767]).buffer);
    expect(Array.from(new AudioDecoder('pcm16').decode(bytes))).toEqual([0, 0.5, -1, 32767 / 32768]);
  });

  it('carries a split sample across frames so nothing is lost', () => {
    const bytes = new Uint8Array(new Int16Array([1000, -2000, 3000]).buffer);
    const d = new AudioDecoder('pcm16');
    const a = d.decode(bytes.subarray(0, 3));
    expect(d.pendingBytes).toBe(1);
    const b = d.decode(bytes.subarray(3));
    expect(d.pendingBytes).toBe(0);
    expect([...a, ...b].map((x) => Math.round(x * 32768))).toEqual([1000, -2000, 3000]);
  });

  it('hands over whole samples in a buffer of their own, even from a Buffer that a socket reuses', () => {
    const pool = Buffer.alloc(64, 0);
    const frame = pool.subarray(8, 13); // 2.5 PCM16 samples in the middle of a shared buffer
    frame.set([1, 0, 2, 0, 3]);
    const d = new AudioDecoder('pcm16');
    const pcm = d.take(frame);
    expect([pcm.byteOffset, pcm.buffer.byteLength, Array.from(pcm)]).toEqual([0, 4, [1, 0, 2, 0]]);
    pool.fill(9); // the socket reuses its buffer for the next message
    expect(Array.from(d.take(Buffer.from([0])))).toEqual([3, 0]);
  });

  it('decodes G.711 μ-law and A-law silence and full scale per the standard', () => {
    const mu = new AudioDecoder('mulaw').decode(new Uint8Array([0xff, 0x7f, 0x80, 0x00]));
    expect(Array.from(mu).map((x) => Math.round(x * 32768))).toEqual([0, 0, 32124, -32124]);
    const a = new AudioDecoder('alaw').decode(new Uint8Array([0xd5, 0x55, 0xaa, 0x2a]));
    expect(Array.from(a).map((x) => Math.round(x * 32768))).toEqual([8, -8, 32256, -32256]);
  });

  it('reads float32 frames as they are', () => {
    const bytes = new Uint8Array(new Float32Array([0.25, -0.5]).buffer);
    expect(Array.from(new AudioDecoder('float32').decode(bytes))).toEqual([0.25, -0.5]);
  });
});

describe('parsing WAV files', () => {
  const wav = (format: number, bits: number, data: number[]) => monoWav(data, { rate: 8000, format, bits });

  it('reads format, rate, channels and the data chunk', () => {
    expect(parseWav(wav(7, 8, [1, 2, 3]))).toMatchObject({ format: 'mulaw', sampleRate: 8000, channels: 1, data: new Uint8Array([1, 2, 3]) });
  });

  it('says why it refuses a file', () => {
    expect(() => parseWav(new Uint8Array(10))).toThrow('not a RIFF/WAVE file');
    expect(() => parseWav(wav(2, 4, []))).toThrow('unsupported WAV encoding (format code 2)');
    expect(() => parseWav(wav(1, 12, []))).toThrow('unsupported WAV sample size: 12-bit pcm');
    expect(() => parseWav(wav(1, 16, []).subarray(0, 36))).toThrow('no data chunk');
    expect(() => parseWav(wav(1, 16, [1, 2, 3, 4]).subarray(0, 46))).toThrow('truncated WAV file: its header promises 4 bytes of audio, the file holds 2');
  });
});
