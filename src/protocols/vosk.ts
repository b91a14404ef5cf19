// vosk-server's WebSocket protocol (`GET /vosk`), as Asterisk's res_speech_vosk and Jitsi's transcriber
// speak it: an optional `{"config": {...}}`, PCM16 in binary frames, `{"eof": 1}` at the end. vosk-server
// answers every message with one: the utterance's partial, or a result once an utterance ended. voxlog
// does the same (a result that is ready goes out in the answer to the next frame), so a client that
// sends and then reads works as well as one that reads as messages come.
import type { ServerMessage } from '../server/protocol';
import type { Session, SessionOptions } from '../server/session';
import type { TranscribeDeps } from '../server/ws';
import { vendorSocket, type Query, type Translator } from './socket';
import { readable } from './text';

interface Result {
  readonly text: string;
  readonly words: readonly { word: string; start_ms: number; end_ms: number }[];
}

export function parseVoskQuery(q: Query): { native: Query; keep: null } | { error: string } {
  // vosk-server's default rate is 8 kHz (telephony); `{"config": {"sample_rate": ...}}` changes it.
  return { native: { encoding: 'pcm16', sample_rate: q.sample_rate ?? '8000', model: q.model, format: 'false' }, keep: null };
}

const round = (ms: number) => Math.round(ms) / 1000;

/** Per connection: one answer per client message, results waiting for the next answer. */
export class VoskTranslator implements Translator {
  private partial = '';
  private readonly ready: Result[] = [];
  private words = true;
  private alternatives = 0;
  /** `{"eof": 1}` came: the session is closing and its last answer is the final result. */
  private ending = false;

  translate(m: ServerMessage): (object | string)[] {
    if (m.type === 'partial') this.partial = readable(m.text);
    if (m.type === 'final' && m.words.length > 0) {
      this.ready.push({ text: readable(m.text), words: m.words });
      this.partial = '';
    }
    // The answer to `eof`: everything not yet said, as one final result (vosk-server's FinalResult).
    if (m.type === 'closed' && this.ending) return [this.result(this.ready.splice(0))];
    if (m.type === 'error') return [{ error: `${m.code}: ${m.message}` }];
    return [];
  }

  receive(message: unknown, session: Session, reply: (frame: object) => void): void {
    if (message instanceof Uint8Array) {
      session.handleBinary(message);
      return reply(this.ready.length > 0 ? this.result(this.ready.splice(0)) : { partial: this.partial });
    }
    const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    if (m.eof !== undefined) {
      this.ending = true;
      return session.handleText({ type: 'close' });
    }
    if (m.reset !== undefined) return session.handleText({ type: 'finalize' });
    if (typeof m.config === 'object' && m.config !== null) return this.configure(m.config as Record<string, unknown>, session, reply);
    reply({ error: `expected {"config": {...}}, {"eof": 1} or {"reset": 1} as text, audio as binary PCM16; got ${JSON.stringify(message).slice(0, 60)}` });
  }

  private configure(config: Record<string, unknown>, session: Session, reply: (frame: object) => void): void {
    if (config.words !== undefined) this.words = config.words === true || config.words === 1;
    if (typeof config.max_alternatives === 'number') this.alternatives = config.max_alternatives;
    if (config.sample_rate !== undefined) {
      if (typeof config.sample_rate !== 'number') return reply({ error: 'config.sample_rate must be a number of Hz' });
      session.handleText({ type: 'config', sample_rate: Math.round(config.sample_rate) });
    }
  }

  /** Finals as vosk's result: words with times in seconds, and the text; `alternatives` when asked for. */
  private result(finals: readonly Result[]): object {
    const text = finals.map((f) => f.text).join(' ');
    if (this.alternatives > 0) return { alternatives: [{ confidence: 1, text, ...(this.words ? { result: this.wordList(finals) } : {}) }] };
    return this.words && finals.length > 0 ? { result: this.wordList(finals), text } : { text };
  }

  private wordList(finals: readonly Result[]): object[] {
    return finals.flatMap((f) => f.words.map((w) => ({ conf: 1, end: round(w.end_ms), start: round(w.start_ms), word: readable(w.word) })));
  }
}

/** `/vosk`. */
export const voskSocket = (deps: TranscribeDeps) =>
  vendorSocket(deps, {
    name: 'vosk',
    path: '/vosk',
    parse: parseVoskQuery,
    connect: (_keep: null, _session: SessionOptions) => new VoskTranslator(),
  });
