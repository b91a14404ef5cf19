// Turns over a session's messages, for the protocols that speak in turns (AssemblyAI's Universal-Streaming,
// Deepgram Flux, OpenAI's realtime items). One implementation, many spellings (DESIGN.md §10): a turn
// opens at speech, gathers finals, and ends when a final that the speaker paused after is sure enough to
// end it (the formatter's end_of_turn_confidence), when no word came for the session's `utterance_end_ms`,
// when the client forces an end (finalize), or at the close.
import type { Word } from '../../events/types';
import type { ServerMessage } from '../server/protocol';
import { readable } from './text';

/** A word of a turn: the recogniser's, and final once its segment is. A partial's words are timed evenly over the partial. */
export interface TurnWord {
  readonly text: string;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly final: boolean;
}

export interface Turn {
  /** Counts from 0 in a session. */
  readonly index: number;
  /** Where its speech started (session ms). */
  readonly startMs: number;
  /** The recogniser's words so far, final ones first (lower case where the model writes capitals). */
  readonly words: readonly TurnWord[];
  /** The written words of its finals (with `format`), with their times. */
  readonly written: readonly Word[];
  /** How sure the formatter was that the last final ended the turn (0 when it could not say). */
  readonly confidence: number;
}

export type TurnEnd = 'confident' | 'silence' | 'forced' | 'close';

export type TurnEvent =
  | { readonly type: 'started'; readonly turn: Turn }
  | { readonly type: 'update'; readonly turn: Turn }
  /** A paused final past the eager threshold but short of the turn's: the turn may be over. */
  | { readonly type: 'eager'; readonly turn: Turn }
  /** Speech after an eager end: the turn goes on. */
  | { readonly type: 'resumed'; readonly turn: Turn }
  | { readonly type: 'ended'; readonly turn: Turn; readonly why: TurnEnd };

export interface TurnThresholds {
  /** A paused final at least this sure ends the turn (AssemblyAI's end_of_turn_confidence_threshold, Flux's eot_threshold). */
  readonly end: number;
  /** Flux's eager_eot_threshold: at least this sure (and short of `end`) announces an eager end. */
  readonly eager?: number;
}

interface Open {
  readonly index: number;
  startMs: number;
  finals: TurnWord[];
  partial: TurnWord[];
  written: Word[];
  confidence: number;
  eager: boolean;
  /** Speech started again after the last final: the speaker is talking, so the silence timeout does not apply. */
  speaking: boolean;
}

const evenly = (text: string, startMs: number, endMs: number): TurnWord[] => {
  const tokens = readable(text).split(/\s+/).filter(Boolean);
  const step = tokens.length > 0 ? (endMs - startMs) / tokens.length : 0;
  return tokens.map((t, i) => ({ text: t, start_ms: Math.round(startMs + i * step), end_ms: Math.round(startMs + (i + 1) * step), final: false }));
};

/** Per connection: reads the session's messages and says what they mean for the current turn. */
export class TurnTracker {
  private open: Open | undefined;
  private count = 0;

  constructor(public thresholds: TurnThresholds) {}

  /** The index of the turn open now, if one is. */
  current(): number | undefined {
    return this.open?.index;
  }

  feed(m: ServerMessage): TurnEvent[] {
    switch (m.type) {
      case 'speech_started':
        return this.speech(m.at_ms, []);
      case 'partial':
        return m.text.trim() === '' ? [] : this.speech(m.start_ms, evenly(m.text, m.start_ms, m.end_ms));
      case 'final':
        return this.final(m);
      case 'utterance_end':
        // Counted from the last final's last word: speech since then (no word yet) is the turn going on.
        return this.open?.speaking ? [] : this.end('silence');
      case 'finalized':
        return this.end('forced');
      case 'closed':
        return this.end('close');
      default:
        return [];
    }
  }

  private speech(atMs: number, partial: TurnWord[]): TurnEvent[] {
    const out: TurnEvent[] = [];
    if (!this.open) {
      this.open = { index: this.count++, startMs: atMs, finals: [], partial: [], written: [], confidence: 0, eager: false, speaking: true };
      out.push({ type: 'started', turn: this.view() });
    } else if (this.open.eager) {
      this.open.eager = false;
      out.push({ type: 'resumed', turn: this.view() });
    }
    this.open.speaking = true;
    if (partial.length > 0) {
      this.open.partial = partial;
      out.push({ type: 'update', turn: this.view() });
    }
    return out;
  }

  private final(m: Extract<ServerMessage, { type: 'final' }>): TurnEvent[] {
    const forced = m.reason === 'finalize' || m.reason === 'close';
    if (m.words.length === 0) return forced ? this.end('forced') : [];
    const out = this.open ? [] : this.speech(m.start_ms, []);
    const turn = this.open!;
    turn.finals.push(...m.words.map((w) => ({ text: readable(w.word), start_ms: w.start_ms, end_ms: w.end_ms, final: true })));
    turn.written.push(...(m.formatted_words ?? []));
    turn.partial = [];
    turn.speaking = false;
    turn.confidence = m.end_of_turn_confidence ?? 0;
    if (forced) return [...out, ...this.end('forced')];
    const paused = m.reason === 'endpoint';
    if (paused && turn.confidence >= this.thresholds.end) return [...out, ...this.end('confident')];
    const eager = this.thresholds.eager;
    if (paused && eager !== undefined && turn.confidence >= eager && !turn.eager) {
      turn.eager = true;
      return [...out, { type: 'update', turn: this.view() }, { type: 'eager', turn: this.view() }];
    }
    return [...out, { type: 'update', turn: this.view() }];
  }

  /** Ends the open turn if it has words; one with none (a noise that started speech) stays open. */
  private end(why: TurnEnd): TurnEvent[] {
    const turn = this.open;
    if (!turn || turn.finals.length === 0) return [];
    const view = this.view();
    this.open = undefined;
    return [{ type: 'ended', turn: view, why }];
  }

  private view(): Turn {
    const t = this.open!;
    return { index: t.index, startMs: t.startMs, words: [...t.finals, ...t.partial], written: [...t.written], confidence: t.confidence };
  }
}

/** A turn's text as the recogniser said it (lower case where the model writes capitals). */
export const spokenText = (turn: Turn): string => turn.words.map((w) => w.text).join(' ');
/** A turn's written text: its finals' written words (the spoken ones where they were not written), then the partial's words. */
export const writtenText = (turn: Turn): string => {
  const finals = turn.written.length > 0 ? turn.written.map((w) => w.word) : turn.words.filter((w) => w.final).map((w) => w.text);
  return [...finals, ...turn.words.filter((w) => !w.final).map((w) => w.text)].join(' ');
};
