import { describe, expect, it } from 'bun:test';
import { ttsCatalog } from '../models/catalog';
import { difficultyFactors, inferDifficulty } from '../src/dictation/items/difficulty';
import { canonicalLocale, chooseVoice, type VoiceEnvironment } from '../src/dictation/tts/voices';
import { parseRange } from '../src/routes/ranged-file';

describe('inferring how hard a sentence is to take down', () => {
  it('rates a short sentence of common words 1', () => {
    expect(inferDifficulty('The cat sat on the mat.', 'en-US')).toBe(1);
  });

  it('adds a point for each thing that makes dictation hard, up to 5', () => {
    expect(inferDifficulty('I want to go home now because it is late.', 'en-US')).toBe(2); // 10 words
    expect(inferDifficulty('Photosynthesis transforms electromagnetic radiation into chemical energy.', 'en-US')).toBe(4); // 7 words, long, rare
    const hard = 'On 3 March, the pharmaceutical consortium announced a 12% increase; analysts, however, remained sceptical.';
    expect(difficultyFactors(hard, 'en-US')).toMatchObject({ words: 14, digitsOrSymbols: true, innerPunctuation: 4 });
    expect(inferDifficulty(hard, 'en-US')).toBe(5);
  });

  it('does not judge rare words outside English', () => {
    expect(difficultyFactors('Bonjour tout le monde', 'fr-FR').rareWords).toBeNull();
    expect(inferDifficulty('Bonjour tout le monde', 'fr-FR')).toBe(1);
  });
});

describe('choosing a voice', () => {
  const env = (flite: string, espeak: string): VoiceEnvironment => ({ catalog: ttsCatalog, modelDirs: ['/nonexistent'], flite, espeak });

  it('takes the language alone or any case to a supported locale, and refuses others', () => {
    expect(canonicalLocale('en')).toBe('en-US');
    expect(canonicalLocale('EN-gb')).toBe('en-GB');
    expect(canonicalLocale('fr')).toBe('fr-FR');
    expect(canonicalLocale('xx')).toBeNull();
    expect(canonicalLocale('not a tag!')).toBeNull();
  });

  it('falls back from neural voices not on disk to flite, then espeak-ng', () => {
    expect(chooseVoice('en-US', undefined, env('flite', 'espeak-ng'))).toEqual({ voice: expect.objectContaining({ id: 'flite:slt' }) });
    expect(chooseVoice('en-US', undefined, env('no-such-flite', 'espeak-ng'))).toEqual({ voice: expect.objectContaining({ id: 'espeak-ng:en-us' }) });
    expect(chooseVoice('de-DE', undefined, env('flite', 'espeak-ng'))).toEqual({ voice: expect.objectContaining({ id: 'espeak-ng:de' }) });
  });

  it('refuses a named voice that is unknown, speaks another language, or is not on disk, saying why', () => {
    const e = env('flite', 'espeak-ng');
    expect(chooseVoice('en-US', 'flite:nobody', e)).toEqual({ error: expect.stringContaining('unknown voice') });
    expect(chooseVoice('fr-FR', 'flite:slt', e)).toEqual({ error: 'voice flite:slt speaks en-US, not fr-FR' });
    expect(chooseVoice('en-US', 'sherpa-onnx:vits-piper-en_US-amy-low', e)).toEqual({ error: expect.stringContaining('bun run models pull vits-piper-en_US-amy-low') });
  });
});

describe('byte ranges', () => {
  it('reads the three forms RFC 9110 allows for one range', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual([0, 99]);
    expect(parseRange('bytes=900-', 1000)).toEqual([900, 999]);
    expect(parseRange('bytes=-100', 1000)).toEqual([900, 999]);
    expect(parseRange('bytes=990-5000', 1000)).toEqual([990, 999]);
  });

  it('refuses what cannot be served', () => {
    for (const h of ['bytes=1000-', 'bytes=5-2', 'bytes=-0', 'bytes=-', 'bytes=0-1,5-6', 'items=0-1']) expect(parseRange(h, 1000)).toBeNull();
  });
});
