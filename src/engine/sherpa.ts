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
export interface SherpaModule {
  OnlineRecognizer: new (config: unknown) => SherpaOnlineRecognizer;
  readWave(path: string): { samples: Float32Array; sampleRate: number };
  version: string;
}

/** Loads the native addon; only Workers (and tools that decode directly) call this. */
export const loadSherpa = (): SherpaModule => createRequire(import.meta.url)('sherpa-onnx-node') as SherpaModule;
