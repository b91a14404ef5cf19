import { describe, expect, it } from 'bun:test';
import { wordsFromTokens } from '../src/engine/decoder';
import { parseClientMessage } from '../src/server/protocol';
import { charErrorRate, wordErrorRate } from '../src/scoring/wer';

describe('client control messages', () => {
  it('accepts the known types and the bare model_id form', () => {
    expect(parseClientMessage({ type: 'finalize' })).toEqual({ ok: true, message: { type: 'finalize' } });
    expect(parseClientMessage({ model_id: 'x' })).toEqual({ ok: true, message: { type: 'config', model_id: 'x' } });
  });

  it('names what is wrong with anything else', () => {
    expect(parseClientMessage('hello')).toMatchObject({ ok: false, code: 'invalid_json' });
    expect(parseClientMessage(42)).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(parseClientMessage({ type: 'jump' })).toMatchObject({ ok: false, code: 'unknown_message_type' });
    expect(parseClientMessage({ kind: 'finalize' })).toMatchObject({ ok: false, code: 'invalid_message', message: expect.stringMatching(/^message has no type/) });
  });
});

describe('word timings from character tokens', () => {
  it('groups tokens at word boundaries and offsets them by the segment start', () => {
    const words = wordsFromTokens({ tokens: [' ', 'h', 'i', ' ', 'y', 'o'], timestamps: [0, 0.4, 0.44, 0.52, 0.6, 0.68] }, 1000, 5000);
    expect(words).toEqual([
      { word: 'hi', start_ms: 1400, end_ms: 1520 },
      { word: 'yo', start_ms: 1600, end_ms: 1720 },
    ]);
  });
});

describe('error rates', () => {
  it('count word and character edits after normalising case and punctuation', () => {
    expect(wordErrorRate('Hello, World!', 'hello world').rate).toBe(0);
    expect(wordErrorRate('the cat sat', 'the bat sat down')).toEqual({ errors: 2, reference: 3, rate: 2 / 3 });
    expect(charErrorRate('abc', 'abd').errors).toBe(1);
  });
});
