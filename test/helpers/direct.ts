import { join } from 'node:path';
import { findModel, modelFolder, VAD_MODEL_ID } from '../../models/catalog';
import { AudioDecoder, type Encoding } from '../../src/audio/codecs';
import { Dither } from '../../src/engine/dither';
import { locateModel } from '../../src/engine/model-files';
import type { FromWorker, StreamOptions } from '../../src/engine/protocol';
import { StreamingDecoder } from '../../src/engine/streaming-decoder';
import { Silero } from '../../src/engine/silero';
import { hear } from '../../src/engine/voice';
import { DEFAULT_SETTINGS } from '../../src/server/settings';
import { VAD_PRIMING_SAMPLES } from '../../src/engine/offline-decoder';
import { sherpaConfig } from '../../src/engine/model-files';
import { loadSherpa, type SherpaOnlineRecognizer } from '../../src/engine/sherpa';
import { SHARED_DIR } from './audio';

const recognizers = new Map<string, SherpaOnlineRecognizer>();
let silero: Silero | undefined;

/** The Silero VAD file sessions use (bundled with the npm package). */
export function vadModelPath(): string {
  const loc = locateModel(findModel(VAD_MODEL_ID)!, []);
  if (!loc.available) throw new Error(loc.reason);
  return join(loc.dir, findModel(VAD_MODEL_ID)!.files.model!);
}

/**
 * The baseline: decodes audio with sherpa-onnx in this thread through the decoder sessions use
 * (src/engine/streaming-decoder.ts: voice activity, endpointing, padding, dither), with the server's
 * default settings (or `options`) and frame size, but none of the server's path (no socket, worker,
 * batching, pacing or log). Returns the finals.
 */
export async function directDecode(modelId: string, audio: Uint8Array, frameBytes: number, format: { encoding?: Encoding; sampleRate?: number } = {}, options: Partial<StreamOptions> = {}): Promise<string[]> {
  const sampleRate = format.sampleRate ?? 16000;
  let rec = recognizers.get(modelId);
  const sherpa = loadSherpa();
  if (!rec) {
    const entry = findModel(modelId)!;
    rec = new sherpa.OnlineRecognizer(sherpaConfig(entry, join(SHARED_DIR, 'models', modelFolder(entry))));
    recognizers.set(modelId, rec);
  }
  const finals: string[] = [];
  const post = (m: FromWorker) => void (m.type === 'final' && finals.push(m.text));
  const d = new StreamingDecoder(rec, 'direct', 0, post, { ...DEFAULT_SETTINGS, ...options }, { silero: (silero ??= await Silero.load(vadModelPath())), sherpa });
  const decoder = new AudioDecoder(format.encoding ?? 'pcm16');
  let seq = 0;
  for (let at = 0; at < audio.length; at += frameBytes) {
    const samples = decoder.decode(audio.subarray(at, at + frameBytes));
    const gate = d.listen(samples, sampleRate);
    if (gate) await hear(silero, [gate]);
    d.accept(seq++, samples, sampleRate);
  }
  d.finalize(seq, 'close');
  return finals;
}

/**
 * Offline baseline: sherpa's own Silero VAD (primed with the same second of silence as voxlog's)
 * and OfflineRecognizer, fed the same frames, each segment decoded whole; none of voxlog's
 * segmentation, resampling or timeline code on the path. Returns the finals.
 */
export function directOfflineDecode(modelId: string, pcm16: Uint8Array, frameBytes: number, minSilenceMs: number, vadModel: string): string[] {
  const sherpa = loadSherpa();
  const entry = findModel(modelId)!;
  const rec = new sherpa.OfflineRecognizer(sherpaConfig(entry, join(SHARED_DIR, 'models', modelFolder(entry))));
  const vad = new sherpa.Vad(
    {
      sileroVad: { model: vadModel, threshold: 0.5, minSilenceDuration: minSilenceMs / 1000, minSpeechDuration: 0.25, windowSize: 512, maxSpeechDuration: 30 },
      sampleRate: 16000,
      numThreads: 1,
      provider: 'cpu',
      debug: 0,
    },
    60,
  );
  vad.acceptWaveform(new Float32Array(VAD_PRIMING_SAMPLES));
  const finals: string[] = [];
  const drain = () => {
    while (!vad.isEmpty()) {
      const s = rec.createStream();
      const segment = vad.front(false);
      s.acceptWaveform({ samples: new Dither().apply(segment.samples.subarray(Math.max(0, VAD_PRIMING_SAMPLES - segment.start))), sampleRate: 16000 });
      vad.pop();
      rec.decode(s);
      const text = rec.getResult(s).text.trim();
      if (text) finals.push(text);
    }
  };
  const decoder = new AudioDecoder('pcm16');
  for (let at = 0; at < pcm16.length; at += frameBytes) {
    vad.acceptWaveform(decoder.decode(pcm16.subarray(at, at + frameBytes)));
    drain();
  }
  vad.flush();
  drain();
  return finals;
}
