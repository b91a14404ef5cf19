// The one way voxlog reads an audio file (CLI today; uploads and spoken attempts later): WAV in
// process, anything else through ffmpeg, always as mono Float32 chunks read as they are needed.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { AudioDecoder, type Encoding } from './codecs';
import { describeWav, isWav, readWavHeader, WavError, wavFramesToMono, wireEncoding, type WavHeader } from './wav';

/** Why a file cannot be read as audio; the message is meant for the person who gave the file. */
export class AudioInputError extends Error {}

/** The rate ffmpeg decodes to: what every model takes. */
export const FFMPEG_RATE = 16000;
/** Audio read per chunk from a WAV file (frames), about a second at 48 kHz stereo 32-bit. */
const WAV_CHUNK_FRAMES = 48_000;

export interface AudioInput {
  readonly path: string;
  /** What the file is, for people: "WAV 24-bit PCM, 2 channels, 11025 Hz", "mp3 (ffmpeg), stereo, 44100 Hz". */
  readonly description: string;
  /** Rate of the samples `chunks` yields. */
  readonly sampleRate: number;
  /** Length in seconds, where the container says. */
  readonly durationS: number | undefined;
  /** Mono Float32 samples in [-1, 1], a chunk at a time; never the whole file in memory. */
  chunks(): AsyncGenerator<Float32Array>;
  /** For a mono WAV in an encoding voxlog streams as is: its sample bytes, untouched, a chunk at a time. */
  readonly wire: { readonly encoding: Encoding; bytes(): AsyncGenerator<Uint8Array> } | undefined;
}

/** The ffmpeg binary (`VOXLOG_FFMPEG`, default `ffmpeg` on PATH); ffprobe is looked for beside it. */
export const ffmpegBinary = (env: Record<string, string | undefined> = process.env): string => env.VOXLOG_FFMPEG || 'ffmpeg';

/** Opens an audio file: checks it is audio now (so a bad file fails before any work starts). */
export async function openAudio(path: string, ffmpeg = ffmpegBinary()): Promise<AudioInput> {
  if (!existsSync(path)) throw new AudioInputError(`${path}: no such file`);
  const size = statSync(path).size;
  if (size === 0) throw new AudioInputError(`${path}: the file is empty (0 bytes)`);
  const fd = openSync(path, 'r');
  let header: WavHeader | undefined;
  try {
    const readAt = (at: number, n: number) => {
      const buf = new Uint8Array(n);
      return buf.subarray(0, readSync(fd, buf, 0, n, at));
    };
    if (isWav(readAt(0, 12))) header = readWavHeader(readAt, size);
  } catch (err) {
    throw new AudioInputError(`${path}: ${err instanceof WavError ? err.message : String(err)}`);
  } finally {
    closeSync(fd);
  }
  return header ? openWav(path, header) : openWithFfmpeg(path, ffmpeg);
}

function openWav(path: string, h: WavHeader): AudioInput {
  if (h.dataBytes === 0) throw new AudioInputError(`${path}: the WAV file holds no audio`);
  const bytes = async function* (): AsyncGenerator<Uint8Array> {
    const file = Bun.file(path).slice(h.dataOffset, h.dataOffset + h.dataBytes);
    const step = WAV_CHUNK_FRAMES * h.blockAlign;
    for (let at = 0; at < h.dataBytes; at += step) yield new Uint8Array(await file.slice(at, Math.min(h.dataBytes, at + step)).arrayBuffer());
  };
  const encoding = wireEncoding(h);
  return {
    path,
    description: describeWav(h),
    sampleRate: h.sampleRate,
    durationS: h.dataBytes / h.blockAlign / h.sampleRate,
    async *chunks() {
      for await (const b of bytes()) yield wavFramesToMono(h, b);
    },
    wire: encoding ? { encoding, bytes } : undefined,
  };
}

interface Probe {
  readonly streams?: { codec_type?: string; codec_name?: string; sample_rate?: string; channels?: number }[];
  readonly format?: { format_name?: string; duration?: string };
}

async function openWithFfmpeg(path: string, ffmpeg: string): Promise<AudioInput> {
  const ffmpegPath = Bun.which(ffmpeg);
  const ffprobePath = ffmpegPath ? Bun.which(ffmpegPath.replace(/ffmpeg([^/]*)$/, 'ffprobe$1')) : null;
  if (!ffmpegPath || !ffprobePath) {
    throw new AudioInputError(
      `${path}: not a WAV file, and reading other formats (mp3, flac, ogg, m4a, webm...) needs ffmpeg, which is not installed${ffmpegPath ? ' (ffprobe is missing beside it)' : ''}: install the Debian package ffmpeg (apt-get install ffmpeg), or set VOXLOG_FFMPEG to its path`,
    );
  }
  const probe = Bun.spawn([ffprobePath, '-v', 'error', '-show_entries', 'stream=codec_type,codec_name,sample_rate,channels:format=format_name,duration', '-of', 'json', path], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(probe.stdout).text(), new Response(probe.stderr).text(), probe.exited]);
  if (code !== 0) throw new AudioInputError(`${path}: not an audio file voxlog can read (ffmpeg: ${lastLine(err) || `ffprobe exited ${code}`})`);
  const info = JSON.parse(out) as Probe;
  const audio = info.streams?.find((s) => s.codec_type === 'audio');
  if (!audio) throw new AudioInputError(`${path}: the file has no audio stream (${info.format?.format_name ?? 'unknown format'})`);
  const duration = Number(info.format?.duration);
  const channels = audio.channels === 1 ? 'mono' : audio.channels === 2 ? 'stereo' : `${audio.channels} channels`;
  return {
    path,
    description: `${audio.codec_name ?? 'audio'} in ${info.format?.format_name ?? 'a container'} (through ffmpeg), ${channels}, ${audio.sample_rate ?? '?'} Hz`,
    sampleRate: FFMPEG_RATE,
    durationS: Number.isFinite(duration) ? duration : undefined,
    chunks: () => ffmpegSamples(ffmpegPath, path),
    wire: undefined,
  };
}

/** Decodes with ffmpeg to mono 16 kHz float32, yielding what its pipe delivers (ffmpeg down-mixes). */
async function* ffmpegSamples(ffmpeg: string, path: string): AsyncGenerator<Float32Array> {
  const p = Bun.spawn([ffmpeg, '-nostdin', '-hide_banner', '-loglevel', 'error', '-i', path, '-vn', '-ac', '1', '-ar', String(FFMPEG_RATE), '-f', 'f32le', 'pipe:1'], { stdout: 'pipe', stderr: 'pipe' });
  const stderr = new Response(p.stderr).text();
  // The pipe splits where it likes: the decoder carries a partial sample to the next piece.
  const decoder = new AudioDecoder('float32');
  let any = false;
  try {
    for await (const piece of p.stdout) {
      const samples = decoder.decode(piece);
      if (samples.length === 0) continue;
      any = true;
      yield samples;
    }
  } finally {
    if (p.exitCode === null) p.kill();
  }
  const code = await p.exited;
  if (code !== 0) throw new AudioInputError(`${path}: ffmpeg could not decode the audio: ${lastLine(await stderr) || `exit code ${code}`}`);
  if (!any) throw new AudioInputError(`${path}: the file holds no audio samples`);
}

const lastLine = (text: string): string => text.trim().split('\n').filter(Boolean).at(-1)?.trim() ?? '';
