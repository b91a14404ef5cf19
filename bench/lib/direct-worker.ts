// The baseline decoder in a Worker: sherpa-onnx directly, same model, settings and 100 ms feeding
// as the server, none of voxlog's path. Reports transcripts and pure decode time.
import { directDecode } from '../../test/helpers/direct';

declare const self: Worker;

self.onmessage = async (e: MessageEvent<{ modelId: string; clips: Uint8Array[]; frameBytes: number }>) => {
  const { modelId, clips, frameBytes } = e.data;
  await directDecode(modelId, clips[0]!, frameBytes); // load the model before timing
  const t0 = performance.now();
  const texts: string[][] = [];
  for (const c of clips) texts.push(await directDecode(modelId, c, frameBytes));
  self.postMessage({ texts, ms: performance.now() - t0 });
};
