// Speaks one text with a sherpa-onnx voice in a throwaway process: a wrong model file can abort
// native code, and here that costs only this child. Run as `bun src/main.ts __tts '<json>'`
// (or `voxlog __tts ...`); exits 0 once the WAV is written.
import { loadSherpa } from '../../engine/sherpa';

export interface SherpaTtsRequest {
  /** sherpa-onnx `OfflineTts` config. */
  readonly config: unknown;
  readonly text: string;
  readonly speed: number;
  readonly speaker: number;
  readonly out: string;
}

export function runSherpaTts(json: string): void {
  const request = JSON.parse(json) as SherpaTtsRequest;
  const tts = new (loadSherpa().OfflineTts)(request.config);
  const audio = tts.generate({ text: request.text, sid: request.speaker, speed: request.speed });
  if (audio.samples.length === 0) {
    console.error('the voice produced no audio for this text');
    process.exit(3);
  }
  loadSherpa().writeWave(request.out, audio);
  console.log('ok');
}
