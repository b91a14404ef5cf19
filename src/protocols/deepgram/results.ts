// voxlog's session messages as Deepgram's live messages (Results, SpeechStarted, UtteranceEnd,
// Metadata), and its close codes as Deepgram's close reasons.
import type { Word } from '../../../events/types';
import type { ServerMessage } from '../../server/protocol';
import { readable } from '../text';
import type { ListenOptions } from './query';

/** What Deepgram's `model_info` says of a model. */
export interface ModelInfo {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
}

/** A stable UUID-shaped id for a model (Deepgram clients read `model_uuid` as a UUID). */
export function modelUuid(modelId: string): string {
  const h = new Bun.CryptoHasher('sha256').update(modelId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/**
 * Deepgram's word list. voxlog's models give no confidences, so every confidence is 1. Unformatted,
 * `punctuated_word` is the word (capitals lowered, as in Deepgram's unpunctuated output); formatted
 * (`punctuate`, `numerals`, `smart_format`), the words are the written ones, each `word` lower case
 * without its marks, as Deepgram gives them.
 */
export const dgWords = (words: readonly Word[], formatted?: readonly Word[]) =>
  formatted
    ? formatted.map((w) => ({ word: w.word.toLowerCase().replace(/[.,?;:]+$/, ''), start: seconds(w.start_ms), end: seconds(w.end_ms), confidence: 1, punctuated_word: w.word }))
    : words.map((w) => {
        const word = readable(w.word);
        return { word, start: seconds(w.start_ms), end: seconds(w.end_ms), confidence: 1, punctuated_word: word };
      });

/** Per connection: turns each session message into the Deepgram messages it stands for (often none). */
export class LiveTranslator {
  private readonly hash = new Bun.CryptoHasher('sha256');
  private readonly created = new Date().toISOString();
  private model: ModelInfo | undefined;
  /** The pending Finalize was answered by a final (else an empty result answers it). */
  private finalizeAnswered = false;
  /** Where the last result ended (an empty result starts there). */
  private lastEndMs = 0;

  constructor(
    private readonly requestId: string,
    private readonly options: ListenOptions,
    private readonly describe: (modelId: string) => ModelInfo,
  ) {}

  /** Audio as it arrives, for the `sha256` that Metadata reports. */
  heard(frame: Uint8Array): void {
    this.hash.update(frame);
  }

  translate(m: ServerMessage): object[] {
    switch (m.type) {
      case 'ready':
        this.model = this.describe(m.model_id);
        return [];
      case 'partial':
        return this.options.interim ? [this.results({ ...m, words: [] }, false, false, false)] : [];
      case 'final': {
        const speechFinal = this.options.endpointing !== false && m.reason === 'endpoint';
        if (m.reason === 'finalize') this.finalizeAnswered = true;
        return [this.results(m, true, speechFinal, m.reason === 'finalize')];
      }
      case 'finalized': {
        // Deepgram answers every Finalize with a result marked from_finalize, empty when nothing was left.
        const answered = this.finalizeAnswered;
        this.finalizeAnswered = false;
        return answered ? [] : [this.results({ text: '', words: [], start_ms: this.lastEndMs, end_ms: this.lastEndMs, model_id: this.model?.name ?? '' }, true, false, true)];
      }
      case 'utterance_end':
        return this.options.utteranceEndMs === null ? [] : [{ type: 'UtteranceEnd', channel: [0, 1], last_word_end: seconds(m.last_word_end_ms) }];
      case 'speech_started':
        return this.options.vadEvents ? [{ type: 'SpeechStarted', channel: [0], timestamp: seconds(m.at_ms) }] : [];
      case 'closed': {
        const model = this.model ?? this.describe('');
        const uuid = modelUuid(model.name);
        return [
          {
            type: 'Metadata',
            transaction_key: 'deprecated',
            request_id: this.requestId,
            sha256: this.hash.digest('hex'),
            created: this.created,
            duration: seconds(m.audio_ms),
            channels: 1,
            models: [uuid],
            model_info: { [uuid]: model },
          },
        ];
      }
      case 'error':
        // Deepgram's SDKs surface this shape (type, description, message, variant) as an error.
        return [{ type: 'Error', description: m.message, message: m.code, variant: m.code }];
      case 'model_switched':
        return [];
      default: {
        const never: never = m;
        return [never];
      }
    }
  }

  private results(m: Pick<Extract<ServerMessage, { type: 'final' }>, 'text' | 'start_ms' | 'end_ms' | 'model_id' | 'words' | 'formatted_words'>, isFinal: boolean, speechFinal: boolean, fromFinalize: boolean): object {
    const model = this.model ?? this.describe(m.model_id);
    const words = dgWords(m.words, m.formatted_words);
    this.lastEndMs = m.end_ms;
    return {
      type: 'Results',
      channel_index: [0, 1],
      duration: seconds(m.end_ms - m.start_ms),
      start: seconds(m.start_ms),
      is_final: isFinal,
      speech_final: speechFinal,
      from_finalize: fromFinalize,
      channel: { alternatives: [{ transcript: m.formatted_words ? m.text : readable(m.text), confidence: 1, words }] },
      metadata: { request_id: this.requestId, model_info: model, model_uuid: modelUuid(model.name) },
    };
  }
}

/**
 * The close reason Deepgram would give: `DATA-0000` for audio it cannot use, `NET-0001` when no audio
 * came in time, `NET-0000` for the server's own trouble; followed by what voxlog says.
 */
export function closeReason(code: number, voxReason: string, message: string | undefined): string {
  // voxlog ends an idle session normally; Deepgram closes it as an error (1011, see live.ts).
  if (voxReason === 'idle_timeout') return 'NET-0001: no audio or KeepAlive came within VOXLOG_SESSION_IDLE_MS';
  if (code === 1000) return '';
  const kind = code === 1011 || code === 1001 || code === 1013 ? 'NET-0000' : 'DATA-0000';
  // A close frame's reason holds at most 123 bytes.
  return `${kind}: ${message ?? voxReason}`.slice(0, 120);
}
