// The turn layer every turn-based protocol shares (src/protocols/turns.ts), fed scripted session messages.
import { describe, expect, it } from 'bun:test';
import { turnConfidence } from '../src/format/formatter';
import { TurnTracker, writtenText, type TurnEvent } from '../src/protocols/turns';
import type { ServerMessage } from '../src/server/protocol';

const word = (w: string, at: number) => ({ word: w, start_ms: at, end_ms: at + 200 });
const final = (words: string[], at: number, confidence: number | undefined, reason: 'endpoint' | 'max_length' | 'finalize' = 'endpoint'): ServerMessage => {
  const ws = words.map((w, i) => word(w, at + i * 200));
  return {
    type: 'final',
    is_final: true,
    text: words.join(' '),
    segment: 0,
    start_ms: at,
    end_ms: at + words.length * 200,
    latency_ms: 0,
    model_id: 'm',
    words: ws,
    formatted_words: ws.map((w, i) => ({ ...w, word: i === 0 ? w.word[0]!.toUpperCase() + w.word.slice(1) : w.word })),
    reason,
    end_of_utterance: reason === 'endpoint',
    ...(confidence === undefined ? {} : { end_of_turn_confidence: confidence }),
  };
};
const started = (at: number): ServerMessage => ({ type: 'speech_started', at_ms: at, segment: 0 });
const partial = (text: string, at: number): ServerMessage => ({ type: 'partial', is_final: false, text, segment: 0, start_ms: at, end_ms: at + 400, latency_ms: 0, model_id: 'm' });
const silence = (at: number): ServerMessage => ({ type: 'utterance_end', segment: 0, last_word_end_ms: at, at_ms: at + 1000 });

const run = (tracker: TurnTracker, messages: ServerMessage[]): TurnEvent[] => messages.flatMap((m) => tracker.feed(m));
const kinds = (events: TurnEvent[]) => events.map((e) => (e.type === 'ended' ? `ended:${e.why}` : e.type));

describe('TurnTracker', () => {
  it('keeps a turn open through a pause it is unsure of, and ends it at one it is sure of', () => {
    const events = run(new TurnTracker({ end: 0.5 }), [started(0), partial('i went to', 0), final(['i', 'went', 'to'], 0, 0.1), started(1200), final(['the', 'shop'], 1200, 0.9)]);
    expect(kinds(events)).toEqual(['started', 'update', 'update', 'ended:confident']);
    const ended = events.at(-1)!;
    expect(ended.turn.words.map((w) => w.text)).toEqual(['i', 'went', 'to', 'the', 'shop']);
    expect(writtenText(ended.turn)).toBe('I went to The shop');
    expect(ended.turn.confidence).toBe(0.9);
  });

  it('ends an unsure turn after the silence timeout, but not while the speaker has started again', () => {
    const tracker = new TurnTracker({ end: 0.5 });
    expect(kinds(run(tracker, [started(0), final(['so'], 0, 0.1), started(900), silence(200)]))).toEqual(['started', 'update']);
    expect(kinds(run(tracker, [final(['then'], 900, 0.2), silence(1100)]))).toEqual(['update', 'ended:silence']);
    // The next speech is the next turn.
    const next = run(tracker, [started(3000)]);
    expect(next[0]!.turn.index).toBe(1);
  });

  it('says eager, then resumed when speech comes back, and ends on a final past both thresholds', () => {
    const events = run(new TurnTracker({ end: 0.9, eager: 0.4 }), [started(0), final(['ask'], 0, 0.5), started(500), final(['not'], 500, 0.6), final(['for', 'you'], 800, 0.95)]);
    expect(kinds(events)).toEqual(['started', 'update', 'eager', 'resumed', 'update', 'eager', 'ended:confident']);
  });

  it('ends a turn only at a paused final: a length cut does not, a finalize always does; an empty turn never ends', () => {
    const tracker = new TurnTracker({ end: 0 });
    expect(kinds(run(tracker, [started(0), final(['a', 'b'], 0, 1, 'max_length')]))).toEqual(['started', 'update']);
    expect(kinds(run(tracker, [final(['c'], 400, 0, 'finalize')]))).toEqual(['ended:forced']);
    expect(kinds(run(tracker, [started(2000), silence(2000), { type: 'finalized' }, { type: 'closed', session_id: 's', reason: 'client_close', audio_ms: 3000, segments: 1, duration_ms: 1 }]))).toEqual(['started']);
  });

  it('never ends a turn without a confidence when a threshold is set (no punctuation model): the silence timeout does', () => {
    const tracker = new TurnTracker({ end: 0.4 });
    expect(kinds(run(tracker, [started(0), final(['done'], 0, undefined), silence(200)]))).toEqual(['started', 'update', 'ended:silence']);
  });
});

describe('turnConfidence', () => {
  it('rises with the sentence-end probability from 0 to 1, passing the measured mid-phrase quantiles', () => {
    expect(turnConfidence(0)).toBe(0);
    expect(turnConfidence(0.033)).toBe(0.5);
    expect(turnConfidence(0.142)).toBe(0.75);
    expect(turnConfidence(1)).toBe(1);
    const xs = Array.from({ length: 101 }, (_, i) => turnConfidence(i / 100));
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThanOrEqual(xs[i - 1]!);
    expect(turnConfidence(-1)).toBe(0);
    expect(turnConfidence(2)).toBe(1);
  });
});
