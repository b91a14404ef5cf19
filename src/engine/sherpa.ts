// sherpa-onnx-node ships no TypeScript types; these cover the part voxlog uses.
import { createRequire } from 'node:module';

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
}
export interface SherpaOfflineStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
}
export interface SherpaOfflineRecognizer {
  createStream(): SherpaOfflineStream;
  decode(s: SherpaOfflineStream): void;
  getResult(s: SherpaOfflineStream): Omit<SherpaResult, 'start_time'>;
}
export interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  isDetected(): boolean;
  front(enableExternalBuffer?: boolean): { start: number; samples: Float32Array };
  pop(): void;
  flush(): void;
}
export interface SherpaResampler {
  resample(samples: Float32Array, flush: boolean): Float32Array;
}
export interface SherpaModule {
  OnlineRecognizer: new (config: unknown) => SherpaOnlineRecognizer;
  OfflineRecognizer: new (config: unknown) => SherpaOfflineRecognizer;
  Vad: new (config: unknown, bufferSeconds: number) => SherpaVad;
  LinearResampler: new (from: number, to: number) => SherpaResampler;
  readWave(path: string): { samples: Float32Array; sampleRate: number };
  version: string;
}

/** Loads the native addon; only Workers (and tools that decode directly) call this. */
export const loadSherpa = (): SherpaModule => createRequire(import.meta.url)('sherpa-onnx-node') as SherpaModule;
