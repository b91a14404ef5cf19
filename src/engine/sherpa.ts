// sherpa-onnx-node ships no TypeScript types; these cover the part voxlog uses.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface SherpaResult {
  readonly text: string;
  readonly tokens: readonly string[];
  readonly timestamps: readonly number[];
  readonly start_time: number;
}
export interface SherpaOnlineStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
  inputFinished(): void;
}
export interface SherpaOnlineRecognizer {
  createStream(): SherpaOnlineStream;
  isReady(s: SherpaOnlineStream): boolean;
  decode(s: SherpaOnlineStream): void;
  isEndpoint(s: SherpaOnlineStream): boolean;
  reset(s: SherpaOnlineStream): void;
  getResult(s: SherpaOnlineStream): SherpaResult;
  /** Decodes one chunk of each stream in a single call; every stream must be ready. */
  decodeStreams(streams: SherpaOnlineStream[]): void;
}
export interface SherpaOfflineStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
}
export interface SherpaOfflineRecognizer {
  createStream(): SherpaOfflineStream;
  decode(s: SherpaOfflineStream): void;
  /** Decodes on sherpa's thread pool and resolves with the result. */
  decodeAsync(s: SherpaOfflineStream): Promise<Omit<SherpaResult, 'start_time'>>;
  getResult(s: SherpaOfflineStream): Omit<SherpaResult, 'start_time'>;
}
export interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  isDetected(): boolean;
  front(enableExternalBuffer?: boolean): { start: number; samples: Float32Array };
  pop(): void;
  flush(): void;
  /** Back to the state of a new detector (segments, sample count). */
  reset(): void;
}
export interface SherpaResampler {
  resample(samples: Float32Array, flush: boolean): Float32Array;
}
export interface SherpaOfflineTts {
  readonly sampleRate: number;
  readonly numSpeakers: number;
  generate(request: { text: string; sid: number; speed: number }): { samples: Float32Array; sampleRate: number };
}
/** sherpa-onnx's punctuation and casing model: text in, the same words written out. */
export interface SherpaOnlinePunctuation {
  addPunct(text: string): string;
}
export interface SherpaModule {
  OnlinePunctuation: new (config: unknown) => SherpaOnlinePunctuation;
  OfflineTts: new (config: unknown) => SherpaOfflineTts;
  writeWave(path: string, wave: { samples: Float32Array; sampleRate: number }): void;
  OnlineRecognizer: new (config: unknown) => SherpaOnlineRecognizer;
  OfflineRecognizer: new (config: unknown) => SherpaOfflineRecognizer;
  Vad: new (config: unknown, bufferSeconds: number) => SherpaVad;
  LinearResampler: new (from: number, to: number) => SherpaResampler;
  readWave(path: string): { samples: Float32Array; sampleRate: number };
  version: string;
}

/**
 * Loads the native addon; only Workers, the probe and tools that decode directly call this. The
 * single binary cannot embed it (its .node file needs the shared libraries beside it), so
 * `bun run build` ships the package in `node_modules/` next to the binary and it is loaded from there.
 */
export function loadSherpa(): SherpaModule {
  const require = createRequire(import.meta.url);
  if (!Bun.isStandaloneExecutable) return require('sherpa-onnx-node') as SherpaModule;
  // The binary's resolver does not search folders on disk: name the package's main file.
  return require(join(dirname(process.execPath), 'node_modules', 'sherpa-onnx-node', 'sherpa-onnx.js')) as SherpaModule;
}

/**
 * A sherpa Silero detector at 16 kHz on one thread, as voxlog makes it wherever it wants speech cut
 * into segments (offline models, batch chunking, the probe; streams judge windows with `Silero`):
 * `minSilenceS` of quiet ends a run, `minSpeechS` starts one, `maxSpeechS` cuts a run that long;
 * sherpa keeps up to `bufferS` of a run.
 */
export function sileroVad(sherpa: SherpaModule, model: string, run: { minSilenceS: number; minSpeechS: number; maxSpeechS?: number }, bufferS: number): SherpaVad {
  return new sherpa.Vad(
    {
      sileroVad: { model, threshold: 0.5, minSilenceDuration: run.minSilenceS, minSpeechDuration: run.minSpeechS, windowSize: 512, ...(run.maxSpeechS === undefined ? {} : { maxSpeechDuration: run.maxSpeechS }) },
      sampleRate: 16000,
      numThreads: 1,
      provider: 'cpu',
      debug: 0,
    },
    bufferS,
  );
}
