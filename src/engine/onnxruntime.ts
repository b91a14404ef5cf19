// onnxruntime-node, for the models voxlog runs itself rather than through sherpa-onnx (Silero's
// windows of many streams in one batch).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';

export type OnnxRuntime = typeof Ort;

/**
 * Loads the native addon. As with sherpa-onnx, the single binary cannot embed it (its .node file
 * needs libonnxruntime beside it): `bun run build` ships the package in `node_modules/` next to the
 * binary, and it is loaded from there.
 */
export function loadOnnxRuntime(): OnnxRuntime {
  const require = createRequire(import.meta.url);
  if (!Bun.isStandaloneExecutable) return require('onnxruntime-node') as OnnxRuntime;
  return require(join(dirname(process.execPath), 'node_modules', 'onnxruntime-node', 'dist', 'index.js')) as OnnxRuntime;
}
