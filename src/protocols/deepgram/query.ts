// Deepgram's `/v1/listen` query string, translated to voxlog's own session query. `punctuate`,
// `numerals` and `smart_format` (both) choose how finals are written, as Deepgram documents them. What
// voxlog has no use for (keywords, keyterm, diarize, tag, ...) is accepted and ignored, as a client
// written for Deepgram sends it whatever it asks for.
import { compatibleModel, type CatalogEntry } from '../../../models/catalog';
import { isLanguageTag } from '../../server/ws';
import { queryFlag, type Query } from '../socket';

/** How a Deepgram client wants its results, beyond what the session itself is told. */
export interface ListenOptions {
  /** Send interim (not final) results as well. Deepgram's default is false. */
  readonly interim: boolean;
  /** `endpointing=false` turns `speech_final` off; a number of ms is the silence that ends an utterance. */
  readonly endpointing: number | false;
  /** Send `UtteranceEnd` when no word came for this long after the last final's last word, when set. */
  readonly utteranceEndMs: number | null;
  /** Send `SpeechStarted`. */
  readonly vadEvents: boolean;
}

const ENCODINGS: Record<string, string> = { linear16: 'pcm16', mulaw: 'mulaw', alaw: 'alaw' };


/** The native query for the session, and how results go back; or what is wrong, in Deepgram's words. */
export function parseListenQuery(q: Query, catalog: readonly CatalogEntry[]): { native: Query; options: ListenOptions } | { error: string } {
  const encoding = q.encoding ?? 'linear16';
  if (!(encoding in ENCODINGS)) return { error: `encoding ${JSON.stringify(encoding)} is not supported here; use linear16, mulaw or alaw (containerized audio is not accepted on the live socket)` };
  if (q.channels !== undefined && q.channels !== '1') return { error: `channels=${q.channels}: voxlog transcribes one channel; send mono audio with channels=1` };
  if (q.multichannel === 'true') return { error: 'multichannel=true is not supported; send one channel' };
  const interim = queryFlag(q, 'interim_results', false);
  const vadEvents = queryFlag(q, 'vad_events', false);
  if (typeof interim !== 'boolean') return interim;
  if (typeof vadEvents !== 'boolean') return vadEvents;
  const format = formatOf(q);
  if (typeof format !== 'string') return format;
  let endpointing: number | false = 10;
  if (q.endpointing === 'false') endpointing = false;
  else if (q.endpointing !== undefined && q.endpointing !== 'true') {
    if (!/^\d{1,5}$/.test(q.endpointing)) return { error: 'endpointing must be a whole number of milliseconds, or false' };
    endpointing = Number(q.endpointing);
  }
  let utteranceEndMs: number | null = null;
  if (q.utterance_end_ms !== undefined) {
    if (!/^\d{1,5}$/.test(q.utterance_end_ms) || Number(q.utterance_end_ms) < 1000) return { error: 'utterance_end_ms must be a whole number of milliseconds, at least 1000' };
    utteranceEndMs = Number(q.utterance_end_ms);
  }
  // `multi` and other names that are not BCP 47 tags are Deepgram's own; they are not recorded.
  const language = q.language && isLanguageTag(q.language) ? q.language : undefined;
  const model = compatibleModel(q.model, catalog, 'deepgram');
  if ('error' in model) return model;
  const native: Query = {
    encoding: ENCODINGS[encoding],
    sample_rate: q.sample_rate ?? (encoding === 'linear16' ? '16000' : '8000'),
    model: model.id,
    language,
    // Deepgram's endpointing is voxlog's, on every model kind: N ms of silence (by the voice-activity
    // detector) ends a segment; `false` leaves segments to the model's own rule and never says speech_final.
    ...(typeof endpointing === 'number' ? { endpointing_ms: String(Math.min(5000, Math.max(10, endpointing))) } : { vad: 'false' }),
    utterance_end_ms: String(utteranceEndMs ?? 0),
    // Interim re-decodes cost offline models a decode each: only when the client wants interims.
    interim_ms: interim ? undefined : '0',
    format,
  };
  return { native, options: { interim, endpointing, utteranceEndMs, vadEvents } };
}

/** The native `format` for Deepgram's flags: `smart_format` is punctuation and numerals; unset, Deepgram writes neither. */
export function formatOf(q: Query): string | { error: string } {
  const parts: Record<string, boolean> = {};
  for (const name of ['punctuate', 'numerals', 'smart_format']) {
    const v = queryFlag(q, name, false);
    if (typeof v !== 'boolean') return v;
    parts[name] = v;
  }
  const punctuate = parts.punctuate || parts.smart_format;
  const numerals = parts.numerals || parts.smart_format;
  return punctuate && numerals ? 'true' : punctuate ? 'punctuate' : numerals ? 'numerals' : 'false';
}
