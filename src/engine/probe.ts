// Loads a model and decodes half a second of silence in a throwaway process. sherpa-onnx can abort
// the process from native code on a bad or mismatched .onnx file; here that costs only this child.
// Run as `bun src/main.ts __probe '<LoadSpec JSON>'` (or `voxlog __probe ...` for the binary):
// exits 0 and prints "ok" when the model works.
import type { LoadSpec } from './protocol';
import { loadSherpa } from './sherpa';

export function runProbe(specJson: string): void {
  const spec = JSON.parse(specJson) as LoadSpec;
  const sherpa = loadSherpa();
  const silence = new Float32Array(8000);
  if (spec.kind === 'streaming') {
    const rec = new sherpa.OnlineRecognizer(spec.recognizer);
    const s = rec.createStream();
    s.acceptWaveform({ samples: silence, sampleRate: 16000 });
    s.inputFinished();
    while (rec.isReady(s)) rec.decode(s);
    rec.getResult(s);
  } else {
    const rec = new sherpa.OfflineRecognizer(spec.recognizer);
    const s = rec.createStream();
    s.acceptWaveform({ samples: silence, sampleRate: 16000 });
    rec.decode(s);
    rec.getResult(s);
    const vad = new sherpa.Vad({ sileroVad: { model: spec.vadModel, threshold: 0.5, minSilenceDuration: 0.5, minSpeechDuration: 0.25, windowSize: 512 }, sampleRate: 16000, numThreads: 1, provider: 'cpu', debug: 0 }, 5);
    vad.acceptWaveform(silence);
  }
  console.log('ok');
}
