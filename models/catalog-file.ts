import { existsSync, readFileSync } from 'node:fs';
import { Type as T, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SHERPA_MODEL_TYPES, type CatalogEntry } from './catalog';

const Str = T.String({ minLength: 1 });

/** The shape of one entry in `VOXLOG_CATALOG_FILE`; the same fields as `CatalogEntry`. */
const EntrySchema = T.Object(
  {
    id: T.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    kind: T.Union([T.Literal('streaming'), T.Literal('offline'), T.Literal('vad'), T.Literal('tts'), T.Literal('punctuation')]),
    language: Str,
    description: Str,
    licence: Str,
    sherpa: T.Optional(T.Union(SHERPA_MODEL_TYPES.map((k) => T.Literal(k)))),
    tts: T.Optional(T.Union([T.Literal('vits'), T.Literal('kokoro'), T.Literal('matcha')])),
    files: T.Record(T.String(), Str),
    sherpaOptions: T.Optional(T.Record(T.String(), T.Union([T.String(), T.Number()]))),
    url: T.Optional(T.String({ pattern: '^https?://' })),
    downloadBytes: T.Optional(T.Integer({ minimum: 0 })),
    sha256: T.Optional(T.String({ pattern: '^[0-9a-fA-F]{64}$' })),
    bundledIn: T.Optional(Str),
    dir: T.Optional(T.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })),
    source: T.Optional(Str),
    decoding: T.Optional(
      T.Object(
        {
          method: T.Optional(T.Union([T.Literal('greedy_search'), T.Literal('modified_beam_search')])),
          maxActivePaths: T.Optional(T.Integer({ minimum: 1, maximum: 64 })),
          rule1MinTrailingSilence: T.Optional(T.Number({ minimum: 0 })),
          rule2MinTrailingSilence: T.Optional(T.Number({ minimum: 0 })),
          rule3MinUtteranceLength: T.Optional(T.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type CatalogFileResult = { readonly entries: readonly CatalogEntry[] } | { readonly problem: string };

/**
 * Reads a catalog file: a JSON array of entries. Says exactly what is wrong (which entry, which
 * field) instead of letting a bad entry reach the server, where it would fail for every client.
 */
export function readCatalogFile(path: string): CatalogFileResult {
  const where = `VOXLOG_CATALOG_FILE=${path}`;
  if (!existsSync(path)) return { problem: `${where} does not exist` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { problem: `${where} is not valid JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(parsed)) return { problem: `${where} must hold a JSON array of catalog entries, not ${parsed === null ? 'null' : typeof parsed}` };
  const ids = new Set<string>();
  for (const [i, entry] of parsed.entries()) {
    const name = `entry ${i}${typeof entry?.id === 'string' ? ` (${entry.id})` : ''}`;
    const error = Value.Errors(EntrySchema, entry).First();
    if (error) return { problem: `${where}: ${name}: ${error.path || 'the entry'} ${error.message}` };
    const e = entry as Static<typeof EntrySchema>;
    if (ids.has(e.id)) return { problem: `${where}: ${name}: id ${e.id} appears twice` };
    ids.add(e.id);
    if (e.kind === 'tts' && !e.tts) return { problem: `${where}: ${name}: a tts voice needs "tts" (vits, kokoro or matcha)` };
    if (e.kind === 'punctuation' && (!e.files.cnnBilstm || !e.files.bpeVocab)) return { problem: `${where}: ${name}: a punctuation model needs files "cnnBilstm" and "bpeVocab" (sherpa-onnx's online punctuation model)` };
    if (e.kind !== 'vad' && e.kind !== 'tts' && e.kind !== 'punctuation' && !e.sherpa) return { problem: `${where}: ${name}: a ${e.kind} model needs "sherpa" (its sherpa-onnx model type)` };
    if (e.kind !== 'vad' && e.kind !== 'punctuation' && !e.files.tokens) return { problem: `${where}: ${name}: files needs "tokens" (the token table)` };
  }
  return { entries: parsed as CatalogEntry[] };
}
