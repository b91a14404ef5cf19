import { describe, expect, it } from 'bun:test';
import { loadConfig } from '../src/config';
import { IntakeGuard } from '../src/limits/intake';
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

describe('the intake guard (defaults: 4x real time over 5 s, 200 messages a second, 3 s grace)', () => {
  it('takes a 20 s burst of audio at once, then refuses faster than 4x real time and tells the client once', () => {
    const g = new IntakeGuard(limits, 0);
    for (let i = 0; i < 200; i++) expect(g.check(0, { ms: 100, heldBytes: 0 }).action).toBe('accept');
    const first = g.check(1, { ms: 100, heldBytes: 0 });
    expect(first).toMatchObject({ action: 'refuse', code: 'rate_exceeded', tell: true });
    expect(g.check(2, { ms: 100, heldBytes: 0 })).toMatchObject({ action: 'refuse', tell: false });
    // 1 s later, 4 s of audio have come back.
    expect(g.check(1001, { ms: 4000, heldBytes: 0 }).action).toBe('accept');
  });

  it('closes a client still over the limit after the grace period', () => {
    const g = new IntakeGuard(limits, 0);
    g.check(0, { ms: 20_000, heldBytes: 0 });
    expect(g.check(10, { ms: 1000, heldBytes: 0 })).toMatchObject({ action: 'refuse', tell: true });
    for (const t of [900, 1_800, 2_700]) expect(g.check(t, { ms: 20_000, heldBytes: 0 })).toMatchObject({ action: 'refuse', tell: false });
    expect(g.check(3_010, { ms: 20_000, heldBytes: 0 })).toMatchObject({ action: 'close', code: 'rate_exceeded' });
  });

  it('keeps counting an episode while frames slip through as the bucket refills, and closes it after the grace', () => {
    const g = new IntakeGuard(limits, 0);
    g.check(0, { ms: 20_000, heldBytes: 0 });
    for (let t = 100; t < 3_100; t += 100) {
      expect(g.check(t, { ms: 400, heldBytes: 0 }).action).toBe('accept'); // what 100 ms at 4x refilled
      const v = g.check(t, { ms: 2_000, heldBytes: 0 });
      expect(v).toMatchObject({ action: 'refuse', tell: t === 100 });
    }
    expect(g.check(3_100, { ms: 2_000, heldBytes: 0 }).action).toBe('close');
  });

  it('a client quiet for a second starts a new episode (told again, grace again)', () => {
    const g = new IntakeGuard(limits, 0);
    g.check(0, { ms: 20_000, heldBytes: 0 });
    expect(g.check(0, { ms: 100, heldBytes: 0 })).toMatchObject({ tell: true });
    expect(g.check(2_000, { ms: 100, heldBytes: 0 }).action).toBe('accept');
    expect(g.check(2_000, { ms: 20_000, heldBytes: 0 })).toMatchObject({ action: 'refuse', tell: true });
    expect(g.check(4_500, { ms: 20_000, heldBytes: 0 })).toMatchObject({ action: 'refuse', tell: true });
  });

  it('refuses audio that would take held audio over its cap', () => {
    const g = new IntakeGuard(limits, 0);
    expect(g.check(0, { ms: 100, heldBytes: limits.maxHeldBytes + 1 })).toMatchObject({ action: 'refuse', code: 'held_audio_full' });
  });

  it('limits messages of any kind per second, text included', () => {
    const g = new IntakeGuard(limits, 0);
    for (let i = 0; i < 1000; i++) expect(g.check(0).action).toBe('accept');
    expect(g.check(0)).toMatchObject({ action: 'refuse', code: 'rate_exceeded' });
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
