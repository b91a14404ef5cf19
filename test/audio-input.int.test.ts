import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioInputError, FFMPEG_RATE, openAudio } from '../src/audio/input';
import { AUDIO_DIR, loadClip } from './helpers/audio';

const dir = mkdtempSync(join(tmpdir(), 'voxlog-audio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jfk = loadClip('jfk', 'jfk.wav');

/** Writes a WAV file with the given coding from mono samples, copied to every channel. */
function writeWav(name: string, samples: Float32Array, o: { rate: number; channels: number; bits: 8 | 16 | 24 | 32; float?: boolean; extensible?: boolean }): string {
  const width = o.bits / 8;
  const data = new Uint8Array(samples.length * o.channels * width);
  const v = new DataView(data.buffer);
  samples.forEach((x, i) => {
    for (let c = 0; c < o.channels; c++) {
      const at = (i * o.channels + c) * width;
      const s = Math.max(-1, Math.min(1 - 1 / 2 ** (o.bits - 1), x));
      if (o.float) v.setFloat32(at, x, true);
      else if (o.bits === 8) v.setUint8(at, Math.round(s * 128) + 128);
      else if (o.bits === 16) v.setInt16(at, Math.round(s * 32768), true);
      else if (o.bits === 24) {
        const n = Math.round(s * 8388608);
        v.setUint8(at, n & 0xff), v.setUint8(at + 1, (n >> 8) & 0xff), v.setInt8(at + 2, n >> 16);
      } else v.setInt32(at, Math.round(s * 2147483648), true);
    }
  });
  const fmtSize = o.extensible ? 40 : 16;
  const head = new Uint8Array(20 + fmtSize + 8);
  const h = new DataView(head.buffer);
  const ascii = (at: number, s: string) => head.set(new TextEncoder().encode(s), at);
  ascii(0, 'RIFF');
  h.setUint32(4, head.length - 8 + data.length, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  h.setUint32(16, fmtSize, true);
  h.setUint16(20, o.extensible ? 0xfffe : o.float ? 3 : 1, true);
  h.setUint16(22, o.channels, true);
  h.setUint32(24, o.rate, true);
  h.setUint32(28, o.rate * o.channels * width, true);
  h.setUint16(32, o.channels * width, true);
  h.setUint16(34, o.bits, true);
  if (o.extensible) h.setUint16(44, o.float ? 3 : 1, true);
  ascii(20 + fmtSize, 'data');
  h.setUint32(24 + fmtSize, data.length, true);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([head, data]));
  return path;
}

async function readAll(path: string): Promise<{ samples: Float32Array; rate: number; description: string }> {
  const input = await openAudio(path);
  const parts: Float32Array[] = [];
  for await (const c of input.chunks()) parts.push(c);
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (samples.set(p, at), at + p.length), 0);
  return { samples, rate: input.sampleRate, description: input.description };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('reading WAV files in process', () => {
  const cases = [
    { name: 'stereo 16-bit', o: { rate: 16000, channels: 2, bits: 16 }, tolerance: 1e-6, description: 'WAV 16-bit PCM, 2 channels, 16000 Hz' },
    { name: '24-bit', o: { rate: 16000, channels: 1, bits: 24 }, tolerance: 1e-6, description: 'WAV 24-bit PCM, mono, 16000 Hz' },
    { name: '32-bit, 6 channels, extensible', o: { rate: 16000, channels: 6, bits: 32, extensible: true }, tolerance: 1e-6, description: 'WAV 32-bit PCM, 6 channels, 16000 Hz' },
    { name: '8-bit unsigned', o: { rate: 16000, channels: 1, bits: 8 }, tolerance: 1 / 128, description: 'WAV 8-bit PCM, mono, 16000 Hz' },
    { name: 'float, stereo, 11025 Hz', o: { rate: 11025, channels: 2, bits: 32, float: true }, tolerance: 1e-7, description: 'WAV 32-bit float, 2 channels, 11025 Hz' },
  ] as const;
  for (const c of cases) {
    it(`decodes ${c.name} to the same mono samples at the file's own rate`, async () => {
      const got = await readAll(writeWav(`${c.name}.wav`, jfk.samples, c.o));
      expect(got.description).toBe(c.description);
      expect(got.rate).toBe(c.o.rate);
      expect(got.samples.length).toBe(jfk.samples.length);
      expect(maxDiff(got.samples, jfk.samples)).toBeLessThanOrEqual(c.tolerance);
    });
  }

  it('offers a mono wire-encoded WAV byte for byte, to stream as a client would', async () => {
    const input = await openAudio(join(AUDIO_DIR, 'telephony', 'mulaw', 'agent-pass.wav'));
    expect(input.wire?.encoding).toBe('mulaw');
    expect(input.sampleRate).toBe(8000);
    expect((await openAudio(writeWav('stereo.wav', jfk.samples, { rate: 16000, channels: 2, bits: 16 }))).wire).toBeUndefined();
  });
});

describe('reading other formats through ffmpeg', () => {
  for (const [ext, args] of [['mp3', []], ['flac', ['-ac', '2']], ['ogg', ['-c:a', 'libopus']], ['m4a', ['-c:a', 'aac']]] as const) {
    it(`decodes ${ext} to mono 16 kHz with the clip's length`, async () => {
      const path = join(dir, `jfk.${ext}`);
      const made = Bun.spawnSync(['ffmpeg', '-y', '-loglevel', 'error', '-i', join(AUDIO_DIR, 'jfk', 'jfk.wav'), ...args, path]);
      expect(made.exitCode).toBe(0);
      const got = await readAll(path);
      expect(got.rate).toBe(FFMPEG_RATE);
      expect(got.description).toContain('through ffmpeg');
      // Codec padding adds or trims a few tens of ms at most.
      expect(Math.abs(got.samples.length - jfk.samples.length) / FFMPEG_RATE).toBeLessThan(0.1);
    });
  }

  it('keeps 8 kHz audio at 8 kHz (sherpa-onnx resamples it, as it does a live 8 kHz stream)', async () => {
    const path = join(dir, 'prompt.m4a');
    const made = Bun.spawnSync(['ffmpeg', '-y', '-loglevel', 'error', '-i', join(AUDIO_DIR, 'telephony', 'pcm16', 'demo-congrats.wav'), '-c:a', 'aac', path]);
    expect(made.exitCode).toBe(0);
    expect((await readAll(path)).rate).toBe(8000);
  });

  it('names the package to install when ffmpeg is missing', async () => {
    const prior = process.env.VOXLOG_FFMPEG;
    process.env.VOXLOG_FFMPEG = join(dir, 'no-such-ffmpeg');
    try {
      const path = join(dir, 'needs-ffmpeg.mp3');
      writeFileSync(path, 'ID3 pretend mp3');
      await expect(openAudio(path)).rejects.toThrow(/needs ffmpeg, which is not installed: install the Debian package ffmpeg/);
    } finally {
      if (prior === undefined) delete process.env.VOXLOG_FFMPEG;
      else process.env.VOXLOG_FFMPEG = prior;
    }
  });
});

describe('files that are not audio', () => {
  const bad: [string, Uint8Array | string, RegExp][] = [
    ['empty.wav', new Uint8Array(0), /the file is empty \(0 bytes\)/],
    ['text.wav', 'this is a text file, not audio\n', /not an audio file voxlog can read/],
    ['header-only.wav', new Uint8Array(12), /not an audio file/],
  ];
  for (const [name, content, message] of bad) {
    it(`refuses ${name} with a clear error`, async () => {
      const path = join(dir, name);
      writeFileSync(path, content);
      const err = await openAudio(path).catch((e) => e);
      expect(err).toBeInstanceOf(AudioInputError);
      expect(err.message).toMatch(message);
    });
  }

  it('refuses a truncated WAV, saying how much of it is missing', async () => {
    const whole = Bun.file(join(AUDIO_DIR, 'jfk', 'jfk.wav'));
    const path = join(dir, 'truncated.wav');
    writeFileSync(path, new Uint8Array(await whole.slice(0, 50_000).arrayBuffer()));
    await expect(openAudio(path)).rejects.toThrow(/truncated WAV file: its header promises 352000 bytes of audio, the file holds 49956/);
  });
});
