// Which punctuation model writes text (VOXLOG_PUNCTUATION_MODEL): voxlog's own, shipped in
// assets/punct-en, or a `punctuation` entry of the catalog (sherpa-onnx's English model, pulled with
// `models pull`), checked on disk and loaded once in a probe process before the format worker loads it.
import { join } from 'node:path';
import { findModel, OWN_PUNCTUATION_MODEL, punctuationModelIds, type CatalogEntry } from '../../models/catalog';
import { locateModel } from '../engine/model-files';
import { probeSherpaPunctuation, type SherpaPunctuationFiles } from './sherpa-punctuation';

export type PunctuationModel = { readonly id: string; readonly kind: 'voxlog' } | { readonly id: string; readonly kind: 'sherpa'; readonly files: SherpaPunctuationFiles };
export const OWN: PunctuationModel = { id: OWN_PUNCTUATION_MODEL, kind: 'voxlog' };

/** The model `id` names, ready to load; throws with the reason (and the command that fixes it) when it cannot run here. */
export async function choosePunctuation(id: string, catalog: readonly CatalogEntry[], modelDirs: readonly string[]): Promise<PunctuationModel> {
  if (id === OWN_PUNCTUATION_MODEL) return OWN;
  const entry = findModel(id, catalog);
  if (!entry || entry.kind !== 'punctuation') throw new Error(`VOXLOG_PUNCTUATION_MODEL=${id} is not a punctuation model (${punctuationModelIds(catalog).join(', ')})`);
  const where = locateModel(entry, modelDirs);
  if (!where.available) throw new Error(`VOXLOG_PUNCTUATION_MODEL: ${where.reason}`);
  const files = { cnnBilstm: join(where.dir, entry.files.cnnBilstm!), bpeVocab: join(where.dir, entry.files.bpeVocab!) };
  const problem = await probeSherpaPunctuation(files);
  if (problem) throw new Error(`VOXLOG_PUNCTUATION_MODEL=${id}: ${problem}`);
  return { id, kind: 'sherpa', files };
}
