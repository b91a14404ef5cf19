import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { findModel } from '../models/catalog';
import { OfflineVadDecoder } from '../src/engine/offline-decoder';
import { locateModel, sherpaConfig } from '../src/engine/model-files';
import type { FromWorker } from '../src/engine/protocol';
import { loadSherpa } from '../src/engine/sherpa';
import { SHARED_DIR } from './helpers/audio';

function decoder(posted: FromWorker[]) {
  const sherpa = loadSherpa();
  const model = 'tiny-offline-bigru-ctc-en';
  const recognizer = new sherpa.OfflineRecognizer(sherpaConfig(findModel(model)!, join(SHARED_DIR, 'models', model)));
  const vad = locateModel(findModel('silero-vad')!, []);
  if (!vad.available) throw new Error(vad.reason);
  const options = { endpointingMs: 500, vad: true, utteranceEndMs: 0, maxSegmentMs: 3000, interimMs: 1000 };
  return new OfflineVadDecoder(sherpa, recognizer, join(vad.dir, findModel('silero-vad')!.files.model!), 's', 0, options, (m) => posted.push(m));
}

describe('the offline VAD decoder', () => {
  it('keeps only the onset lookback of audio through a long silence', async () => {
    const posted: FromWorker[] = [];
    const d = decoder(posted);
    for (let i = 0; i < 600; i++) await d.accept(i, new Float32Array(1600), 16000); // 60 s of silence
    expect(posted).toEqual([]);
    expect(d.audioMs).toBe(60_000);
    // 0.4 s of onset lookback plus the frame that straddles it, not 60 s of audio.
    expect(d.bufferedSamples).toBeLessThanOrEqual(0.4 * 16000 + 1600);
  });
});
