// sherpa-onnx's online WebSocket server protocol (`GET /sherpa`): float32 samples in binary frames at
// the server's input rate (16 kHz; `?sample_rate=` here), the text `Done` when the audio ends. Each
// decode answers with the current segment's result as JSON (`is_final` at an endpoint); `Done!` ends it.
import type { ServerMessage } from '../server/protocol';
import type { Session, SessionOptions } from '../server/session';
import type { TranscribeDeps } from '../server/ws';
import { vendorSocket, type Query, type Translator } from './socket';

export function parseSherpaQuery(q: Query): { native: Query; keep: null } | { error: string } {
  return { native: { encoding: 'float32', sample_rate: q.sample_rate ?? '16000', model: q.model, format: 'false' }, keep: null };
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** Per connection: partials and finals as sherpa-onnx's result objects, then `Done!`. */
export class SherpaTranslator implements Translator {
  translate(m: ServerMessage): (object | string)[] {
    if (m.type === 'partial') return [this.result(m.text, m.segment, m.start_ms, [], false, false)];
    if (m.type === 'final') return [this.result(m.text, m.segment, m.start_ms, m.words, true, m.reason === 'close')];
    if (m.type === 'closed') return ['Done!'];
    if (m.type === 'error') return [{ error: `${m.code}: ${m.message}` }];
    return [];
  }

  private result(text: string, segment: number, startMs: number, words: readonly { word: string; start_ms: number }[], final: boolean, eof: boolean): object {
    return {
      text,
      tokens: words.map((w) => w.word),
      timestamps: words.map((w) => seconds(w.start_ms - startMs)),
      ys_probs: [],
      lm_probs: [],
      context_scores: [],
      segment,
      words: [],
      start_time: seconds(startMs),
      is_final: final,
      is_eof: eof,
    };
  }

  receive(message: unknown, session: Session, reply: (frame: object) => void): void {
    if (message instanceof Uint8Array) return session.handleBinary(message);
    if (message === 'Done') return session.handleText({ type: 'close' });
    reply({ error: `expected float32 samples as binary frames and the text Done at the end; got ${JSON.stringify(message).slice(0, 60)}` });
  }
}

/** `/sherpa`. */
export const sherpaSocket = (deps: TranscribeDeps) =>
  vendorSocket(deps, {
    name: 'sherpa',
    path: '/sherpa',
    parse: parseSherpaQuery,
    connect: (_keep: null, _session: SessionOptions) => new SherpaTranslator(),
  });
