// The baseline decoder in a Worker: sherpa-onnx directly, same model, settings and 100 ms feeding
// as the server, none of voxlog's path. Reports transcripts and pure decode time.
import { directDecode } from '../../test/helpers/direct';

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ modelId: string; clips: Uint8Array[]; frameBytes: number }>) => {
  const { modelId, clips, frameBytes } = e.data;
  directDecode(modelId, clips[0]!, frameBytes); // load the model before timing
  const t0 = performance.now();
  const texts = clips.map((c) => directDecode(modelId, c, frameBytes));
  self.postMessage({ texts, ms: performance.now() - t0 });
};
