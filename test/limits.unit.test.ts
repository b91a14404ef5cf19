import { describe, expect, it } from 'bun:test';
import { loadConfig } from '../src/config';
import { IntakeBudget } from '../src/limits/intake';
import { KeyedBuckets, TokenBucket } from '../src/limits/token-bucket';
import { DEFAULT_SETTINGS, parseSettings } from '../src/server/settings';

const limits = loadConfig({}).limits;

describe('a token bucket', () => {
  it('allows a burst up to its capacity, then the refill rate', () => {
    const b = new TokenBucket(10, 5, 0);
    expect(b.take(10, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.waitFor(1, 0)).toBeCloseTo(0.2);
    expect(b.take(1, 200)).toBe(true);
    expect(b.take(1, 200)).toBe(false);
  });

  it('per key: one client running out does not touch another, and says when to retry', () => {
    const k = new KeyedBuckets(2, 1);
    expect(k.take('a', 0)).toEqual({ ok: true });
    expect(k.take('a', 0)).toEqual({ ok: true });
    expect(k.take('a', 0)).toEqual({ ok: false, retryAfterS: 1 });
    expect(k.take('b', 0)).toEqual({ ok: true });
  });
});

describe('the intake budget (defaults: 4x real time over 5 s, 200 messages a second)', () => {
  it('takes a 20 s burst of audio at once, then paces at 4x real time: a frame waits, it is never refused for good', () => {
    const b = new IntakeBudget(limits, 0);
    for (let i = 0; i < 200; i++) expect(b.take(0, 100)).toBe(true);
    expect(b.take(1, 100)).toBe(false);
    expect(b.take(20, 100)).toBe(false);
    // 25 ms later, 100 ms of audio has come back.
    expect(b.take(26, 100)).toBe(true);
    expect(b.take(26, 100)).toBe(false);
    // 1 s later, 4 s of audio.
    expect(b.take(1_030, 4_000)).toBe(true);
  });

  it('lets a frame larger than the whole burst through from a full budget, then makes the next wait for the debt', () => {
    const b = new IntakeBudget(limits, 0);
    expect(b.take(0, 30_000)).toBe(true);
    expect(b.take(2_000, 100)).toBe(false); // 10 s in debt: 8 s of audio came back, not enough
    expect(b.take(2_600, 100)).toBe(true);
  });

  it('paces messages of any kind per second, text included', () => {
    const b = new IntakeBudget(limits, 0);
    for (let i = 0; i < 1000; i++) expect(b.take(0)).toBe(true);
    expect(b.take(0)).toBe(false);
    expect(b.take(5)).toBe(true); // a message's worth refilled
  });
});

describe('audio settings from a query string or a config message', () => {
  it('takes JSON numbers in config and refuses strings, arrays, null and booleans instead of coercing them', () => {
    expect(parseSettings({ sample_rate: 8000 }, DEFAULT_SETTINGS, 'json')).toMatchObject({ sampleRate: 8000 });
    for (const bad of ['0x3E80', '16000', [16000], null, true, 16000.5]) {
      expect(parseSettings({ sample_rate: bad }, DEFAULT_SETTINGS, 'json')).toHaveProperty('error');
      expect(parseSettings({ min_silence_ms: bad }, DEFAULT_SETTINGS, 'json')).toHaveProperty('error');
    }
    expect(parseSettings({ encoding: ['pcm16'] }, DEFAULT_SETTINGS, 'json')).toHaveProperty('error');
  });

  it('takes decimal digits in a query string and refuses hex, exponents and signs', () => {
    expect(parseSettings({ sample_rate: '8000' }, DEFAULT_SETTINGS, 'query')).toMatchObject({ sampleRate: 8000 });
    for (const bad of ['0x3E80', '1.6e4', '+16000', ' 16000', '16000abc']) expect(parseSettings({ sample_rate: bad }, DEFAULT_SETTINGS, 'query')).toHaveProperty('error');
  });
});
