/** Decodes PCM16 clips with sherpa-onnx directly, in a Worker of its own (one thread): the baseline figures stand beside. */
export async function decodeDirectly(modelId: string, clips: Uint8Array[], frameBytes = 3200): Promise<{ texts: string[][]; ms: number }> {
  const worker = new Worker(new URL('./direct-worker.ts', import.meta.url).href);
  try {
    return await new Promise((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage({ modelId, clips, frameBytes });
    });
  } finally {
    worker.terminate();
  }
}
