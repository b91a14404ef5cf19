import { join } from 'node:path';
import { findModel, modelFolder } from '../../models/catalog';
import { AudioDecoder, type Encoding } from '../../src/audio/codecs';
import { Dither } from '../../src/engine/dither';
import { VAD_PRIMING_SAMPLES } from '../../src/engine/offline-decoder';
import { sherpaConfig } from '../../src/engine/model-files';
import { loadSherpa, type SherpaOnlineRecognizer } from '../../src/engine/sherpa';
import { SHARED_DIR } from './audio';

const recognizers = new Map<string, SherpaOnlineRecognizer>();

/**
 * The baseline: decodes audio straight through sherpa-onnx, with the server's model settings and
 * frame size, endpoint rules, tail padding and dither (the model's input treatment, src/engine/dither.ts),
 * but none of voxlog's code path. Returns the finals.
 */
export function directDecode(modelId: string, audio: Uint8Array, frameBytes: number, format: { encoding?: Encoding; sampleRate?: number } = {}): string[] {
  const sampleRate = format.sampleRate ?? 16000;
  let rec = recognizers.get(modelId);
  if (!rec) {
    const entry = findModel(modelId)!;
    rec = new (loadSherpa().OnlineRecognizer)(sherpaConfig(entry, join(SHARED_DIR, 'models', modelFolder(entry))));
    recognizers.set(modelId, rec);
  }
  const stream = rec.createStream();
  const finals: string[] = [];
  const decoder = new AudioDecoder(format.encoding ?? 'pcm16');
  const dither = new Dither();
  for (let at = 0; at < audio.length; at += frameBytes) {
    stream.acceptWaveform({ samples: dither.apply(decoder.decode(audio.subarray(at, at + frameBytes))), sampleRate });
    while (rec.isReady(stream)) rec.decode(stream);
    if (rec.isEndpoint(stream)) {
      const text = rec.getResult(stream).text.trim();
      if (text) finals.push(text);
      rec.reset(stream);
    }
  }
  stream.acceptWaveform({ samples: dither.silence(sampleRate / 2), sampleRate });
  stream.inputFinished();
  while (rec.isReady(stream)) rec.decode(stream);
  const tail = rec.getResult(stream).text.trim();
  if (tail) finals.push(tail);
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
