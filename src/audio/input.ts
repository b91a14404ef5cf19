// The one way voxlog reads an audio file (CLI today; uploads and spoken attempts later): WAV in
// process, anything else through ffmpeg, always as mono Float32 chunks read as they are needed.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { PayloadTooLargeError, UnsupportedMediaError } from '../errors';
import { AudioDecoder, type Encoding } from './codecs';
import { describeWav, isWav, readWavHeader, WavError, wavFramesToMono, wireEncoding, type WavHeader } from './wav';

/** Why a file cannot be read as audio; the message is meant for the person who gave the file. */
export class AudioInputError extends Error {}

/** The file holds more audio than the reader was allowed to take (said by its header, or found while decoding). */
export class AudioTooLongError extends AudioInputError {}

export interface OpenOptions {
  readonly ffmpeg?: string;
  /** The most audio accepted: a longer file is refused when opened (if its container says) or while it decodes. */
  readonly maxDurationS?: number;
}

/**
 * An audio error about a file a client sent, as the HTTP refusal it deserves (413 when it holds too
 * much audio, else 415), never naming the server's own path; anything else is passed on.
 */
export function asUploadError(err: unknown, path: string, label = 'file'): unknown {
  if (!(err instanceof AudioInputError)) return err;
  const message = `${label}: ${err.message.replaceAll(`${path}: `, '').replaceAll(path, 'the file')}`;
  return err instanceof AudioTooLongError ? new PayloadTooLargeError(message, 'audio_too_long') : new UnsupportedMediaError(message);
}

/** The rate ffmpeg decodes to: what every model takes. */
export const FFMPEG_RATE = 16000;

/**
 * The demuxers ffmpeg may use on a file someone gave us: audio containers, none of which opens another
 * file or URL. Playlists (hls, dash), lists (concat), image sequences, devices and network formats are
 * left out, so a file can never make ffmpeg read anything but its own bytes.
 */
const FFMPEG_FORMATS = ['wav', 'w64', 'mp3', 'flac', 'ogg', 'mov', 'matroska', 'aac', 'aiff', 'caf', 'amr', 'asf', 'wv', 'au', 'ac3', 'eac3'];
/** Input options for ffmpeg and ffprobe alike: only the local file, only those demuxers. */
const FFMPEG_INPUT = ['-protocol_whitelist', 'file', '-format_whitelist', FFMPEG_FORMATS.join(',')];
/** What people call the formats that are refused because they point elsewhere. */
const REFUSED_FORMATS: Record<string, string> = {
  hls: 'an HLS playlist',
  dash: 'a DASH manifest',
  concat: 'an ffconcat list',
  image2: 'an image sequence',
  sdp: 'an SDP session description',
};

/** `file:` keeps ffmpeg from reading a path with a colon (`subfile:…`, `http:…`) as a protocol. */
const fileUrl = (path: string): string => `file:${path}`;

/** Why ffmpeg refused a file, in words, when the refusal was a format or protocol outside the allowed lists. */
function refusal(stderr: string): string | undefined {
  const format = /\[(\w+) @ [^\]]+\] Format not on whitelist/.exec(stderr)?.[1];
  if (format) return `it is ${REFUSED_FORMATS[format] ?? `in the ${format} format`}, which voxlog does not read (allowed: ${FFMPEG_FORMATS.join(', ')}); a file may not point at other files or URLs`;
  const protocol = /Protocol '(\w+)' not on whitelist/.exec(stderr)?.[1];
  if (protocol) return `it refers to a ${protocol}: resource, and voxlog reads only the bytes of the file itself`;
  return undefined;
}
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
export async function openAudio(path: string, o: OpenOptions = {}): Promise<AudioInput> {
  if (!existsSync(path)) throw new AudioInputError(`${path}: no such file`);
  const stat = statSync(path);
  if (!stat.isFile()) throw new AudioInputError(`${path}: ${stat.isDirectory() ? 'is a directory' : 'is not a regular file'}, not an audio file`);
  const size = stat.size;
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
  const input = header ? openWav(path, header) : await openWithFfmpeg(path, o.ffmpeg ?? ffmpegBinary());
  return o.maxDurationS === undefined ? input : bounded(input, o.maxDurationS);
}

const tooLong = (path: string, what: string, maxS: number) => new AudioTooLongError(`${path}: ${what}; the most accepted is ${maxS} s`);

/** `input`, refused now if its header says it is longer than `maxS`, and cut off with an error if its samples run past it. */
function bounded(input: AudioInput, maxS: number): AudioInput {
  if (input.durationS !== undefined && input.durationS > maxS) throw tooLong(input.path, `the audio is ${Math.round(input.durationS)} s long`, maxS);
  const most = maxS * input.sampleRate;
  return {
    ...input,
    async *chunks() {
      let samples = 0;
      for await (const c of input.chunks()) {
        samples += c.length;
        if (samples > most) throw tooLong(input.path, `the audio runs past ${maxS} s`, maxS);
        yield c;
      }
    },
  };
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
  const probe = Bun.spawn([ffprobePath, '-v', 'error', ...FFMPEG_INPUT, '-show_entries', 'stream=codec_type,codec_name,sample_rate,channels:format=format_name,duration', '-of', 'json', fileUrl(path)], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(probe.stdout).text(), new Response(probe.stderr).text(), probe.exited]);
  const refused = refusal(err);
  if (refused) throw new AudioInputError(`${path}: ${refused}`);
  if (code !== 0) throw new AudioInputError(`${path}: not an audio file voxlog can read (ffmpeg: ${lastLine(err) || `ffprobe exited ${code}`})`);
  const info = JSON.parse(out) as Probe;
  const audio = info.streams?.find((s) => s.codec_type === 'audio');
  if (!audio) throw new AudioInputError(`${path}: the file has no audio stream (${info.format?.format_name ?? 'unknown format'})`);
  // ffprobe guesses a container from the name as a last resort: a text file called notes.mp3 "opens"
  // as an mp3 stream of no channels at 0 Hz, and only decoding it would fail.
  if (!(Number(audio.sample_rate) > 0) || !(Number(audio.channels) > 0)) throw new AudioInputError(`${path}: not an audio file voxlog can read (ffmpeg found no audio in it: ${audio.channels ?? 0} channels at ${audio.sample_rate ?? 0} Hz)`);
  const duration = Number(info.format?.duration);
  // Audio below 16 kHz (telephony's 8 kHz) comes out at its own rate and is brought to the model's by
  // sherpa-onnx's resampler, as a live 8 kHz stream is: ffmpeg's resampling cost the default model
  // words on the telephony prompts. Anything else comes out at 16 kHz.
  const sourceRate = Number(audio.sample_rate);
  const rate = Number.isInteger(sourceRate) && sourceRate >= 8000 && sourceRate < FFMPEG_RATE ? sourceRate : FFMPEG_RATE;
  const channels = audio.channels === 1 ? 'mono' : audio.channels === 2 ? 'stereo' : `${audio.channels} channels`;
  return {
    path,
    description: `${audio.codec_name ?? 'audio'} in ${info.format?.format_name ?? 'a container'} (through ffmpeg), ${channels}, ${audio.sample_rate ?? '?'} Hz`,
    sampleRate: rate,
    durationS: Number.isFinite(duration) ? duration : undefined,
    chunks: () => ffmpegSamples(ffmpegPath, path, rate),
    wire: undefined,
  };
}

/** Decodes with ffmpeg to mono float32 at `rate`, yielding what its pipe delivers (ffmpeg down-mixes). */
async function* ffmpegSamples(ffmpeg: string, path: string, rate: number): AsyncGenerator<Float32Array> {
  const p = Bun.spawn([ffmpeg, '-nostdin', '-hide_banner', '-loglevel', 'error', ...FFMPEG_INPUT, '-i', fileUrl(path), '-vn', '-ac', '1', '-ar', String(rate), '-f', 'f32le', 'pipe:1'], { stdout: 'pipe', stderr: 'pipe' });
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
