import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodingOf, modelFolder, type CatalogEntry } from '../../models/catalog';
import type { LoadSpec } from './protocol';
import { command } from '../program';

export type ModelLocation =
  | { readonly available: true; readonly dir: string; readonly sizeBytes: number }
  | { readonly available: false; readonly reason: string };

/** Finds the first directory that holds every file of the model, with a reason when none does. */
export function locateModel(entry: CatalogEntry, modelDirs: readonly string[]): ModelLocation {
  const tried: string[] = [];
  const candidates = modelDirs.map((base) => join(base, modelFolder(entry)));
  if (entry.bundledIn) candidates.push(packageDir(entry.bundledIn));
  for (const dir of candidates) {
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
  return { available: false, reason: `model ${entry.id} is not on disk: ${where}${entry.url ? ` (run: ${command(`models pull ${entry.id}`)})` : entry.source ? ` (it ${entry.source})` : ''}` };
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

/** A folder inside an installed npm package, or '' when the package is absent. */
function packageDir(spec: string): string {
  const [scope, name, ...rest] = spec.split('/');
  try {
    return join(dirname(Bun.resolveSync(`${scope}/${name}/package.json`, import.meta.dir)), ...rest);
  } catch {
    return '';
  }
}

/** The sherpa-onnx recognizer config for a model in `dir`: file roles are sherpa's own config keys. */
export function sherpaConfig(entry: CatalogEntry, dir: string): unknown {
  if (!entry.sherpa) throw new Error(`${entry.id} is not a recognizer`);
  const paths = Object.fromEntries(Object.entries(entry.files).filter(([role]) => role !== 'tokens').map(([role, f]) => [role, join(dir, f)]));
  const d = decodingOf(entry);
  const base = {
    featConfig: { sampleRate: 16000, featureDim: 80 },
    modelConfig: { [entry.sherpa]: { ...paths, ...entry.sherpaOptions }, tokens: join(dir, entry.files.tokens!), numThreads: 1, provider: 'cpu', debug: 0 },
    decodingMethod: d.method,
    maxActivePaths: d.maxActivePaths,
  };
  if (entry.kind !== 'streaming') return base;
  const { rule1MinTrailingSilence, rule2MinTrailingSilence, rule3MinUtteranceLength } = d;
  return { ...base, enableEndpoint: 1, rule1MinTrailingSilence, rule2MinTrailingSilence, rule3MinUtteranceLength };
}

/** What a worker loads for a recognizer in `dir`, with the VAD at `vadModel` (offline models need it). */
export function loadSpec(entry: CatalogEntry, dir: string, vadModel: string | undefined): LoadSpec {
  const recognizer = sherpaConfig(entry, dir);
  if (entry.kind === 'streaming') return { kind: 'streaming', recognizer, ...(vadModel ? { vadModel } : {}) };
  if (!vadModel) throw new Error(`offline model ${entry.id} needs the Silero VAD, which is not on disk`);
  return { kind: 'offline', recognizer, vadModel };
}
