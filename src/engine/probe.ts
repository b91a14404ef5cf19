// Loads a model and decodes a short clip of real speech (and some silence) in a throwaway process.
// sherpa-onnx can abort the process from native code on a bad or mismatched model: a wrong .onnx
// file at load, or a token table shorter than the model's vocabulary at the first word it decodes.
// Here that costs only this child. Run as `bun src/main.ts __probe '<LoadSpec JSON>'` (or
// `voxlog __probe ...` for the binary): exits 0 and prints "ok" when the model works.
import { readFileSync } from 'node:fs';
// Embedded in the single binary by `bun build --compile`.
import speechPath from '../../assets/probe-speech.wav' with { type: 'file' };
import { parseWav } from '../audio/wav';
import { AudioDecoder } from '../audio/codecs';
import { readOnnxInfo, vocabularySize } from './onnx-info';
import type { LoadSpec } from './protocol';
import { loadSherpa } from './sherpa';

/** sherpa model configs whose file named here scores one class per token. */
const SCORED_BY: Record<string, string> = { transducer: 'joiner', zipformer2Ctc: 'model', zipformerCtc: 'model', nemoCtc: 'model', toneCtc: 'model', wenetCtc: 'model' };

/** Why the token table cannot name every class the model outputs, or null when it can (or the file does not say). */
export function checkTokens(recognizer: unknown): string | null {
  const mc = (recognizer as { modelConfig?: Record<string, unknown> }).modelConfig ?? {};
  const tokens = mc.tokens;
  if (typeof tokens !== 'string') return null;
  for (const [key, role] of Object.entries(SCORED_BY)) {
    const file = (mc[key] as Record<string, unknown> | undefined)?.[role];
    if (typeof file !== 'string' || file === '') continue;
    let vocab: number | null;
    try {
      vocab = vocabularySize(readOnnxInfo(new Uint8Array(readFileSync(file))));
    } catch {
      return null; // not readable as ONNX: loading it below fails with sherpa-onnx's own message
    }
    const count = readFileSync(tokens, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
    if (vocab !== null && count < vocab) return `${tokens} has ${count} tokens but the model scores ${vocab}: decoding would abort on the first token past the table`;
  }
  return null;
}

function speech(): Float32Array {
  const wav = parseWav(new Uint8Array(readFileSync(speechPath)));
  const samples = new AudioDecoder('pcm16').decode(wav.data);
  // Half a second of silence after it flushes a streaming model's last chunk.
  const padded = new Float32Array(samples.length + 8000);
  padded.set(samples);
  return padded;
}

export function runProbe(specJson: string): void {
  const spec = JSON.parse(specJson) as LoadSpec;
  const problem = checkTokens(spec.recognizer);
  if (problem) {
    console.error(problem);
    process.exit(3);
  }
  const sherpa = loadSherpa();
  const samples = speech();
  if (spec.kind === 'streaming') {
    const rec = new sherpa.OnlineRecognizer(spec.recognizer);
    const s = rec.createStream();
    for (let at = 0; at < samples.length; at += 1600) {
      s.acceptWaveform({ samples: samples.subarray(at, at + 1600), sampleRate: 16000 });
      while (rec.isReady(s)) rec.decode(s);
    }
    s.inputFinished();
    while (rec.isReady(s)) rec.decode(s);
    rec.getResult(s);
  } else {
    const rec = new sherpa.OfflineRecognizer(spec.recognizer);
    const s = rec.createStream();
    s.acceptWaveform({ samples, sampleRate: 16000 });
    rec.decode(s);
    rec.getResult(s);
    const vad = new sherpa.Vad({ sileroVad: { model: spec.vadModel, threshold: 0.5, minSilenceDuration: 0.5, minSpeechDuration: 0.25, windowSize: 512 }, sampleRate: 16000, numThreads: 1, provider: 'cpu', debug: 0 }, 5);
    vad.acceptWaveform(samples);
  }
  console.log('ok');
}
