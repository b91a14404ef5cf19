// Deepgram Flux (`GET /v2/listen`): turn-based transcription for voice agents, over a voxlog session.
// Each turn is told as TurnInfo events (StartOfTurn, Update, EagerEndOfTurn, TurnResumed, EndOfTurn);
// `eot_threshold` and `eager_eot_threshold` are read against the formatter's end_of_turn_confidence at
// each pause, and `eot_timeout_ms` is the silence after which a turn ends whatever the confidence.
import { compatibleModel, type CatalogEntry } from '../../../models/catalog';
import type { ServerMessage } from '../../server/protocol';
import type { Session, SessionOptions } from '../../server/session';
import type { TranscribeDeps } from '../../server/ws';
import { numbersAsQuery, queryNumber, vendorSocket, type Query, type Translator } from '../socket';
import { TurnTracker, writtenText, type Turn, type TurnEvent } from '../turns';

const ENCODINGS: Record<string, string> = { linear16: 'pcm16', mulaw: 'mulaw', alaw: 'alaw' };
/** Flux's documented defaults and ranges. */
const EOT = { threshold: 0.7, min: 0.5, max: 0.9, eagerMin: 0.3, timeoutMs: 5000, timeoutMin: 500, timeoutMax: 10000 };
const EVENTS: Record<TurnEvent['type'], string> = { started: 'StartOfTurn', update: 'Update', eager: 'EagerEndOfTurn', resumed: 'TurnResumed', ended: 'EndOfTurn' };

interface Keep {
  readonly end: number;
  readonly eager: number | undefined;
}

type Thresholds = { end: number; eager: number | undefined; timeoutMs: number | undefined } | { error: string };

/** eot_threshold, eager_eot_threshold and eot_timeout_ms as a query or a Configure message gives them. */
function thresholdsOf(q: Query, base: { end: number; eager: number | undefined }): Thresholds {
  const end = queryNumber(q, 'eot_threshold', base.end, EOT.min, EOT.max);
  if (typeof end !== 'number') return end;
  const eager = queryNumber(q, 'eager_eot_threshold', base.eager ?? Number.NaN, EOT.eagerMin, EOT.max);
  if (typeof eager !== 'number') return eager;
  if (eager > end) return { error: `eager_eot_threshold (${eager}) must not be above eot_threshold (${end})` };
  const timeoutMs = queryNumber(q, 'eot_timeout_ms', Number.NaN, EOT.timeoutMin, EOT.timeoutMax, true);
  if (typeof timeoutMs !== 'number') return timeoutMs;
  return { end, eager: Number.isNaN(eager) ? undefined : eager, timeoutMs: Number.isNaN(timeoutMs) ? undefined : timeoutMs };
}

export function parseFluxQuery(q: Query, catalog: readonly CatalogEntry[]): { native: Query; keep: Keep } | { error: string } {
  if (!q.model) return { error: 'model is required: flux-general-en (voxlog\'s default model) or a voxlog model id' };
  const model = compatibleModel(q.model, catalog, 'deepgram');
  if ('error' in model) return model;
  const encoding = q.encoding ?? 'linear16';
  if (!(encoding in ENCODINGS)) return { error: `encoding ${JSON.stringify(encoding)} is not supported here; use linear16, mulaw or alaw` };
  const t = thresholdsOf(q, { end: EOT.threshold, eager: undefined });
  if ('error' in t) return t;
  const native: Query = {
    encoding: ENCODINGS[encoding],
    sample_rate: q.sample_rate ?? (encoding === 'linear16' ? '16000' : '8000'),
    model: model.id,
    utterance_end_ms: String(t.timeoutMs ?? EOT.timeoutMs),
    // Written finals carry the confidence the thresholds are read against.
    format: 'true',
  };
  return { native, keep: { end: t.end, eager: t.eager } };
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** Per connection: voxlog's messages as Connected, TurnInfo and FatalError. */
export class FluxTranslator implements Translator {
  private readonly turns: TurnTracker;
  private sequence = 0;

  constructor(
    private readonly requestId: string,
    keep: Keep,
  ) {
    this.turns = new TurnTracker({ end: keep.end, eager: keep.eager });
  }

  greeting(): object[] {
    return [{ type: 'Connected', request_id: this.requestId, sequence_id: this.sequence++ }];
  }

  translate(m: ServerMessage): object[] {
    if (m.type === 'error') return [{ type: 'FatalError', sequence_id: this.sequence++, code: m.code.toUpperCase(), description: m.message }];
    return this.turns.feed(m).map((e) => this.turnInfo(EVENTS[e.type], e.turn));
  }

  private turnInfo(event: string, turn: Turn): object {
    const last = turn.words.at(-1);
    return {
      type: 'TurnInfo',
      request_id: this.requestId,
      sequence_id: this.sequence++,
      event,
      turn_index: turn.index,
      audio_window_start: seconds(turn.startMs),
      audio_window_end: seconds(last?.end_ms ?? turn.startMs),
      transcript: writtenText(turn),
      words: turn.words.map((w) => ({ word: w.text, confidence: 1 })),
      end_of_turn_confidence: turn.confidence,
    };
  }

  receive(message: unknown, session: Session, reply: (frame: object) => void): void {
    if (message instanceof Uint8Array) return session.handleBinary(message);
    const m = (message ?? {}) as Record<string, unknown>;
    if (m.type === 'CloseStream') return session.handleText({ type: 'close' });
    if (m.type === 'Configure') return this.configure(m, session, reply);
    const what = typeof message === 'string' ? `text frames must be JSON; got ${JSON.stringify(message.slice(0, 40))}` : `unknown message type ${JSON.stringify(m.type)}`;
    reply({ type: 'Error', sequence_id: this.sequence++, code: 'INVALID_MESSAGE', description: `${what}; expected CloseStream or Configure (audio goes in binary frames)` });
  }

  /** Configure: new thresholds for the turns to come, and a new silence timeout for the session. */
  private configure(m: Record<string, unknown>, session: Session, reply: (frame: object) => void): void {
    const given = typeof m.thresholds === 'object' && m.thresholds !== null ? (m.thresholds as Record<string, unknown>) : {};
    const t = thresholdsOf(numbersAsQuery(given), this.turns.thresholds as { end: number; eager: number | undefined });
    if ('error' in t) return reply({ type: 'ConfigureFailure', sequence_id: this.sequence++, description: t.error });
    this.turns.thresholds = { end: t.end, eager: t.eager };
    if (t.timeoutMs !== undefined) session.handleText({ type: 'config', utterance_end_ms: t.timeoutMs });
    reply({ type: 'ConfigureSuccess', sequence_id: this.sequence++, thresholds: { eot_threshold: t.end, eager_eot_threshold: t.eager ?? null, eot_timeout_ms: t.timeoutMs ?? null } });
  }
}

/** `/v2/listen`. */
export const deepgramFlux = (deps: TranscribeDeps) =>
  vendorSocket(deps, {
    name: 'flux',
    path: '/v2/listen',
    parse: (q) => parseFluxQuery(q, deps.registry.catalog),
    connect: (keep: Keep, session: SessionOptions) => new FluxTranslator(session.sessionId, keep),
  });
