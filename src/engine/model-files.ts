import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogEntry } from '../../models/catalog';

export type ModelLocation =
  | { readonly available: true; readonly dir: string; readonly sizeBytes: number }
  | { readonly available: false; readonly reason: string };

/** Finds the first directory that holds every file of the model, with a reason when none does. */
export function locateModel(entry: CatalogEntry, modelDirs: readonly string[]): ModelLocation {
  const tried: string[] = [];
  for (const base of modelDirs) {
    const dir = join(base, entry.id);
    if (!existsSync(dir)) continue;
    const missing = Object.values(entry.files).filter((f) => !existsSync(join(dir, f)));
    if (missing.length > 0) {
      tried.push(`${dir} lacks ${missing.join(', ')}`);
      continue;
    }
    const invalid = Object.values(entry.files).filter((f) => f.endsWith('.onnx') && !looksLikeOnnx(join(dir, f)));
    if (invalid.length > 0) {
      tried.push(`${dir}: ${invalid.join(', ')} is not an ONNX model (empty or truncated)`);
      continue;
    }
    const sizeBytes = Object.values(entry.files).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    return { available: true, dir, sizeBytes };
  }
  const where = tried.length > 0 ? tried.join('; ') : `not found in ${modelDirs.join(', ')}`;
  return { available: false, reason: `model ${entry.id} is not on disk: ${where}${entry.url ? ` (run: bun run models pull ${entry.id})` : ''}` };
}

/** A cheap first check before native code sees the file: an ONNX protobuf starts with ir_version (field 1, varint). */
function looksLikeOnnx(path: string): boolean {
  if (statSync(path).size < 64) return false;
  const head = new Uint8Array(1);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 1, 0);
  } finally {
    closeSync(fd);
  }
  return head[0] === 0x08;
}

/** The sherpa-onnx recognizer config for a model in `dir`, with the engine's endpoint rules. */
export function sherpaConfig(entry: CatalogEntry, dir: string): unknown {
  const file = (role: string) => join(dir, entry.files[role]!);
  const model =
    entry.sherpa === 'transducer'
      ? { transducer: { encoder: file('encoder'), decoder: file('decoder'), joiner: file('joiner') } }
      : { [entry.sherpa]: { model: file('model') } };
  return {
    featConfig: { sampleRate: 16000, featureDim: 80 },
    modelConfig: { ...model, tokens: file('tokens'), numThreads: 1, provider: 'cpu', debug: 0 },
    decodingMethod: 'greedy_search',
    enableEndpoint: 1,
    rule1MinTrailingSilence: 2.4,
    rule2MinTrailingSilence: 1.2,
    rule3MinUtteranceLength: 20,
  };
}
