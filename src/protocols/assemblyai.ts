// AssemblyAI's Universal-Streaming v3 (`GET /v3/ws`) over a voxlog session, and the temporary-token
// route its SDK calls (`GET /v3/token`). Turns are voxlog's (turns.ts): a paused final the formatter is
// `end_of_turn_confidence_threshold` sure of ends one after `min_turn_silence`; any turn ends after
// `max_turn_silence` without words.
import { Elysia, t } from 'elysia';
import { compatibleModel, type CatalogEntry } from '../../models/catalog';
import { callerOf } from '../auth/principal';
import type { TokenIssuer } from '../auth/tokens';
import type { ServerMessage } from '../server/protocol';
import type { Session, SessionOptions } from '../server/session';
import type { TranscribeDeps } from '../server/ws';
import { numbersAsQuery, queryFlag, queryNumber, vendorSocket, type Query, type Translator } from './socket';
import { spokenText, TurnTracker, type Turn } from './turns';

const ENCODINGS: Record<string, string> = { pcm_s16le: 'pcm16', pcm_mulaw: 'mulaw' };
/** AssemblyAI's defaults (Universal-Streaming, 2025). */
const DEFAULTS = { threshold: 0.4, minSilenceMs: 400, maxSilenceMs: 1280 };
/** Parameters AssemblyAI honours that voxlog accepts and does not: Begin names the ones a client sent. */
const UNSUPPORTED = ['keyterms_prompt', 'keyterms', 'prompt', 'agent_context', 'speaker_labels', 'max_speakers', 'redact_pii', 'redact_pii_policies', 'filter_profanity', 'language_detection', 'voice_focus', 'webhook_url', 'llm_gateway'];
/** AssemblyAI's close codes for voxlog's: bad input, audio too big, the server's trouble. */
const CLOSE: Record<number, number> = { 1003: 3006, 1007: 3006, 1009: 3007, 1011: 3005 };

interface Keep {
  readonly formatTurns: boolean;
  readonly threshold: number;
  readonly unsupported: readonly string[];
}

export function parseStreamingQuery(q: Query, catalog: readonly CatalogEntry[]): { native: Query; keep: Keep } | { error: string } {
  const encoding = q.encoding ?? 'pcm_s16le';
  if (!(encoding in ENCODINGS)) return { error: `encoding ${JSON.stringify(encoding)} is not supported here; use pcm_s16le or pcm_mulaw` };
  const formatTurns = queryFlag(q, 'format_turns', false);
  if (typeof formatTurns !== 'boolean') return formatTurns;
  const threshold = queryNumber(q, 'end_of_turn_confidence_threshold', DEFAULTS.threshold, 0, 1);
  if (typeof threshold !== 'number') return threshold;
  const minName = q.min_turn_silence !== undefined ? 'min_turn_silence' : 'min_end_of_turn_silence_when_confident';
  const minSilence = queryNumber(q, minName, DEFAULTS.minSilenceMs, 10, 5000, true);
  if (typeof minSilence !== 'number') return minSilence;
  const maxSilence = queryNumber(q, 'max_turn_silence', Math.max(DEFAULTS.maxSilenceMs, minSilence), minSilence, 10000, true);
  if (typeof maxSilence !== 'number') return maxSilence;
  const model = compatibleModel(q.speech_model, catalog, 'assemblyai');
  if ('error' in model) return model;
  const native: Query = {
    encoding: ENCODINGS[encoding],
    sample_rate: q.sample_rate ?? '16000',
    model: model.id,
    endpointing_ms: String(minSilence),
    utterance_end_ms: String(maxSilence),
    // Always written: the written text's sentence-end is what says a turn is over. Unformatted turns
    // carry the recogniser's words.
    format: 'true',
  };
  return { native, keep: { formatTurns, threshold, unsupported: UNSUPPORTED.filter((p) => q[p] !== undefined) } };
}

const turnWords = (turn: Turn) => turn.words.map((w) => ({ start: w.start_ms, end: w.end_ms, text: w.text, confidence: 1, word_is_final: w.final }));

/** Per connection: voxlog's messages as Begin, Turn, SpeechStarted, Termination. */
export class StreamingTranslator implements Translator {
  private readonly turns: TurnTracker;
  private readonly openedAt = Date.now();

  constructor(
    private readonly sessionId: string,
    private readonly keep: Keep,
  ) {
    this.turns = new TurnTracker({ end: keep.threshold });
  }

  greeting(): object[] {
    const begin = { type: 'Begin', id: this.sessionId, expires_at: Math.floor(this.openedAt / 1000) + 3 * 3600 };
    return [this.keep.unsupported.length > 0 ? { ...begin, unsupported_parameters: this.keep.unsupported } : begin];
  }

  translate(m: ServerMessage): object[] {
    const out: object[] = [];
    if (m.type === 'speech_started') out.push({ type: 'SpeechStarted', timestamp: m.at_ms, confidence: 1 });
    if (m.type === 'error') out.push({ type: 'Error', error_code: /audio|sample|frame|encoding/.test(m.code) ? 3006 : 3005, error: `${m.code}: ${m.message}` });
    for (const e of this.turns.feed(m)) {
      if (e.type === 'update') out.push(this.turn(e.turn, false, false));
      if (e.type === 'ended') {
        out.push(this.turn(e.turn, true, false));
        if (this.keep.formatTurns) out.push(this.turn(e.turn, true, true));
      }
    }
    if (m.type === 'closed') out.push({ type: 'Termination', audio_duration_seconds: Math.round(m.audio_ms / 1000), session_duration_seconds: Math.round((Date.now() - this.openedAt) / 1000) });
    return out;
  }

  private turn(turn: Turn, end: boolean, formatted: boolean): object {
    const final = { ...turn, words: turn.words.filter((w) => w.final) };
    const written = formatted && turn.written.length > 0;
    return {
      type: 'Turn',
      turn_order: turn.index,
      turn_is_formatted: formatted,
      end_of_turn: end,
      // AssemblyAI's transcript holds the turn's final words; words holds the ones still changing too.
      transcript: written ? turn.written.map((w) => w.word).join(' ') : spokenText(final),
      end_of_turn_confidence: turn.confidence,
      words: written ? turn.written.map((w) => ({ start: w.start_ms, end: w.end_ms, text: w.word, confidence: 1, word_is_final: true })) : turnWords(turn),
    };
  }

  receive(message: unknown, session: Session, reply: (frame: object) => void): void {
    if (message instanceof Uint8Array) return session.handleBinary(message);
    const m = (message ?? {}) as Record<string, unknown>;
    switch (m.type) {
      case 'Terminate':
        return session.handleText({ type: 'close' });
      case 'ForceEndpoint':
        return session.handleText({ type: 'finalize' });
      case 'KeepAlive':
        return session.handleText({ type: 'keepalive' });
      case 'UpdateConfiguration':
        return this.update(m, session, reply);
      default: {
        const what = typeof message === 'string' ? `text frames must be JSON; got ${JSON.stringify(message.slice(0, 40))}` : `unknown message type ${JSON.stringify(m.type)}`;
        reply({ type: 'Error', error_code: 3006, error: `${what}; expected Terminate, ForceEndpoint, UpdateConfiguration or KeepAlive (audio goes in binary frames)` });
      }
    }
  }

  /** UpdateConfiguration: the threshold is this connection's; the silences are the session's endpointing and utterance end. */
  private update(m: Record<string, unknown>, session: Session, reply: (frame: object) => void): void {
    const asQuery = numbersAsQuery(m);
    const threshold = queryNumber(asQuery, 'end_of_turn_confidence_threshold', this.turns.thresholds.end, 0, 1);
    const min = queryNumber(asQuery, asQuery.min_turn_silence !== undefined ? 'min_turn_silence' : 'min_end_of_turn_silence_when_confident', Number.NaN, 10, 5000, true);
    const max = queryNumber(asQuery, 'max_turn_silence', Number.NaN, 0, 10000, true);
    const bad = [threshold, min, max].find((v) => typeof v !== 'number');
    if (bad) return reply({ type: 'Error', error_code: 3006, error: (bad as { error: string }).error });
    this.turns.thresholds = { end: threshold as number };
    const config = { ...(Number.isNaN(min) ? {} : { endpointing_ms: min }), ...(Number.isNaN(max) ? {} : { utterance_end_ms: max }) };
    if (Object.keys(config).length > 0) session.handleText({ type: 'config', ...config });
  }

  closing(code: number, reason: string, lastError: string | undefined): { code: number; reason: string } {
    return { code: CLOSE[code] ?? code, reason: code === 1000 ? reason : (lastError ?? reason).slice(0, 120) };
  }
}

/** `/v3/ws` and `/v3/token`: an app built on AssemblyAI's SDK works against voxlog by changing its URLs. */
export function assemblyaiRoutes(deps: TranscribeDeps, tokens: TokenIssuer) {
  const catalog = deps.registry.catalog;
  return new Elysia({ name: 'assemblyai' })
    .use(
      vendorSocket(deps, {
        name: 'assemblyai',
        path: '/v3/ws',
        parse: (q) => parseStreamingQuery(q, catalog),
        connect: (keep: Keep, session: SessionOptions) => new StreamingTranslator(session.sessionId, keep),
      }),
    )
    .get(
      '/v3/token',
      async ({ request, query }) => {
        const caller = callerOf(request);
        const seconds = query.expires_in_seconds ?? 60;
        const issued = await tokens.issue(caller.userId ?? 'local', caller.name, seconds);
        return { token: issued.access_token, expires_in_seconds: seconds };
      },
      {
        query: t.Object({ expires_in_seconds: t.Optional(t.Integer({ minimum: 1, maximum: 600 })), max_session_duration_seconds: t.Optional(t.Integer({ minimum: 60, maximum: 10800 })) }),
        detail: { summary: 'A temporary token for one streaming session (AssemblyAI v3)', description: 'What AssemblyAI\'s SDK calls (`streaming.createTemporaryToken`): a short-lived access token that a browser passes as `?token=` to `/v3/ws`.' },
      },
    );
}
