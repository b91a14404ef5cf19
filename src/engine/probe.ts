// Loads a model and decodes a short clip of real speech (and some silence) in a throwaway process.
// sherpa-onnx can abort the process from native code on a bad or mismatched model: a wrong .onnx
// file at load, or a token table shorter than the model's vocabulary at the first word it decodes.
// Here that costs only this child. Run as `bun src/main.ts __probe '<LoadSpec JSON>'` (or
// `voxlog __probe ...` for the binary): exits 0 and prints "ok" when the model works, then for a
// streaming model "batch N|any REASON": how many streams one decodeStreams call may take.
import { readFileSync } from 'node:fs';
// Embedded in the single binary by `bun build --compile`.
import speechPath from '../../assets/probe-speech.wav' with { type: 'file' };
import { parseWav } from '../audio/wav';
import { AudioDecoder } from '../audio/codecs';
import { basename } from 'node:path';
import { batchDimension, readOnnxInfo, vocabularySize } from './onnx-info';
import type { LoadSpec } from './protocol';
import { loadSherpa, sileroVad } from './sherpa';

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

/** The batch size every ONNX file of the recognizer accepts (null: no file fixes it), and why. */
export function batchLimit(recognizer: unknown): { size: number | null; reason: string } {
  const mc = (recognizer as { modelConfig?: Record<string, unknown> }).modelConfig ?? {};
  const files = Object.values(mc).flatMap((v) => (v && typeof v === 'object' ? Object.values(v) : [])).filter((f): f is string => typeof f === 'string' && f.endsWith('.onnx'));
  for (const file of files) {
    const info = readOnnxInfo(new Uint8Array(readFileSync(file)));
    const fixed = batchDimension(info);
    const input = info.inputs[0];
    if (fixed !== null && input) return { size: fixed, reason: `${basename(file)} takes a batch of ${fixed} (input ${input.name} is [${input.dims.join(',')}])` };
  }
  return { size: null, reason: 'every model file has a dynamic batch dimension' };
}

/**
 * Decodes two streams in one decodeStreams call. Only after "ok" is printed: should the call abort
 * the process, the parent knows the model works and only batching does not.
 */
function tryBatch(rec: InstanceType<ReturnType<typeof loadSherpa>['OnlineRecognizer']>, samples: Float32Array): void {
  const streams = [rec.createStream(), rec.createStream()];
  for (const s of streams) s.acceptWaveform({ samples, sampleRate: 16000 });
  for (;;) {
    const ready = streams.filter((s) => rec.isReady(s));
    if (ready.length === 0) break;
    rec.decodeStreams(ready);
  }
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
    if (spec.vadModel) probeVad(sherpa, spec.vadModel, samples);
    console.log('ok');
    const limit = batchLimit(spec.recognizer);
    if (limit.size === null) tryBatch(rec, samples);
    console.log(`batch ${limit.size ?? 'any'} ${limit.size === null ? `${limit.reason}; decodeStreams of 2 streams worked in the probe` : limit.reason}`);
    return;
  } else {
    const rec = new sherpa.OfflineRecognizer(spec.recognizer);
    const s = rec.createStream();
    s.acceptWaveform({ samples, sampleRate: 16000 });
    rec.decode(s);
    rec.getResult(s);
    probeVad(sherpa, spec.vadModel, samples);
  }
  console.log('ok');
}

/** Runs the Silero VAD over the probe's speech: a file it rejects aborts here, not in a worker. */
function probeVad(sherpa: ReturnType<typeof loadSherpa>, model: string, samples: Float32Array): void {
  sileroVad(sherpa, model, { minSilenceS: 0.5, minSpeechS: 0.25 }, 5).acceptWaveform(samples);
}
