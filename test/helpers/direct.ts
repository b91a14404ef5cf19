import { join } from 'node:path';
import { findModel } from '../../models/catalog';
import { AudioDecoder } from '../../src/audio/codecs';
import { sherpaConfig } from '../../src/engine/model-files';
import { loadSherpa, type SherpaOnlineRecognizer } from '../../src/engine/sherpa';
import { SHARED_DIR } from './audio';

const recognizers = new Map<string, SherpaOnlineRecognizer>();

/**
 * The baseline: decodes audio straight through sherpa-onnx, with the server's model settings and
 * frame size, endpoint rules and tail padding, but none of voxlog's code path. Returns the finals.
 */
export function directDecode(modelId: string, pcm16: Uint8Array, frameBytes: number): string[] {
  let rec = recognizers.get(modelId);
  if (!rec) {
    const entry = findModel(modelId)!;
    rec = new (loadSherpa().OnlineRecognizer)(sherpaConfig(entry, join(SHARED_DIR, 'models', modelId)));
    recognizers.set(modelId, rec);
  }
  const stream = rec.createStream();
  const finals: string[] = [];
  const decoder = new AudioDecoder('pcm16');
  for (let at = 0; at < pcm16.length; at += frameBytes) {
    stream.acceptWaveform({ samples: decoder.decode(pcm16.subarray(at, at + frameBytes)), sampleRate: 16000 });
    while (rec.isReady(stream)) rec.decode(stream);
    if (rec.isEndpoint(stream)) {
      const text = rec.getResult(stream).text.trim();
      if (text) finals.push(text);
      rec.reset(stream);
    }
  }
  stream.acceptWaveform({ samples: new Float32Array(8000), sampleRate: 16000 });
  stream.inputFinished();
  while (rec.isReady(stream)) rec.decode(stream);
  const tail = rec.getResult(stream).text.trim();
  if (tail) finals.push(tail);
  return finals;
}
