// Which voices can read an item aloud, per locale, and which one a request gets.
import { locateModel } from '../../engine/model-files';
import type { CatalogEntry } from '../../../models/catalog';

export type ProviderName = 'flite' | 'espeak-ng' | 'sherpa-onnx';

/** A voice voxlog knows, whether or not it can speak right now. */
export interface Voice {
  /** `flite:slt`, `espeak-ng:fr-fr`, `sherpa-onnx:vits-piper-en_US-amy-low`. */
  readonly id: string;
  readonly provider: ProviderName;
  /** The provider's own name for it (flite voice, espeak-ng voice, catalog id). */
  readonly name: string;
  readonly locales: readonly string[];
  readonly description: string;
}

export interface VoiceStatus extends Voice {
  readonly available: boolean;
  /** Why it cannot speak now (binary not installed, model not on disk), else null. */
  readonly reason: string | null;
}

/** Locales items may be written in, with the espeak-ng voice for each (espeak-ng speaks them all). */
const ESPEAK_BY_LOCALE: Readonly<Record<string, string>> = {
  'en-US': 'en-us',
  'en-GB': 'en-gb',
  'fr-FR': 'fr-fr',
  'de-DE': 'de',
  'es-ES': 'es',
  'es-MX': 'es-419',
  'it-IT': 'it',
  'pt-BR': 'pt-br',
  'pt-PT': 'pt',
  'nl-NL': 'nl',
  'pl-PL': 'pl',
  'ru-RU': 'ru',
  'sv-SE': 'sv',
  'da-DK': 'da',
  'fi-FI': 'fi',
  'cs-CZ': 'cs',
  'tr-TR': 'tr',
  'el-GR': 'el',
  'ja-JP': 'ja',
  'ko-KR': 'ko',
  'zh-CN': 'cmn',
  'hi-IN': 'hi',
};
export const SUPPORTED_LOCALES = Object.keys(ESPEAK_BY_LOCALE);

/** flite's built-in voices (US English; awb is a Scottish speaker of it). */
const FLITE_VOICES = [
  ['slt', 'US English, female (CMU Arctic slt), 16 kHz'],
  ['kal16', 'US English, male (kal diphone), 16 kHz'],
  ['rms', 'US English, male (CMU Arctic rms), 16 kHz'],
  ['awb', 'Scottish English, male (CMU Arctic awb), 16 kHz'],
] as const;

/** The canonical supported locale for a tag ("en" → en-US, "EN-gb" → en-GB), or null when voxlog has no voice for it. */
export function canonicalLocale(tag: string): string | null {
  let canonical: string;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0]!;
  } catch {
    return null;
  }
  const lower = canonical.toLowerCase();
  return SUPPORTED_LOCALES.find((l) => l.toLowerCase() === lower) ?? SUPPORTED_LOCALES.find((l) => l.split('-')[0] === lower) ?? null;
}

export interface VoiceEnvironment {
  readonly catalog: readonly CatalogEntry[];
  readonly modelDirs: readonly string[];
  /** The flite and espeak-ng binaries (names on PATH or paths). */
  readonly flite: string;
  readonly espeak: string;
}

/** Every voice voxlog knows, in order of preference within a locale: neural, then flite, then espeak-ng. */
export function allVoices(env: VoiceEnvironment): Voice[] {
  const neural = env.catalog
    .filter((m) => m.kind === 'tts')
    .map((m): Voice => ({ id: `sherpa-onnx:${m.id}`, provider: 'sherpa-onnx', name: m.id, locales: m.language.split(','), description: m.description }));
  const flite = FLITE_VOICES.map(([name, description]): Voice => ({ id: `flite:${name}`, provider: 'flite', name, locales: ['en-US'], description }));
  const espeak = Object.entries(ESPEAK_BY_LOCALE).map(([locale, name]): Voice => ({ id: `espeak-ng:${name}`, provider: 'espeak-ng', name, locales: [locale], description: `espeak-ng ${name} (formant synthesis, robotic but clear)` }));
  return [...neural, ...flite, ...espeak];
}

/** Whether a voice can speak now, and why not. */
export function voiceStatus(v: Voice, env: VoiceEnvironment): VoiceStatus {
  const reason = (() => {
    if (v.provider === 'sherpa-onnx') {
      const entry = env.catalog.find((m) => m.id === v.name);
      const loc = entry ? locateModel(entry, env.modelDirs) : { available: false as const, reason: `${v.name} is not in the catalog` };
      return loc.available ? null : loc.reason;
    }
    const binary = v.provider === 'flite' ? env.flite : env.espeak;
    return Bun.which(binary) ? null : `${binary} is not installed (Debian package ${v.provider}: apt-get install ${v.provider})`;
  })();
  return { ...v, available: reason === null, reason };
}

export type VoiceChoice = { readonly voice: Voice } | { readonly error: string };

/**
 * The voice for a request: the one asked for (if it speaks the locale and is usable now), else the
 * first usable voice for the locale, falling back from neural to flite to espeak-ng.
 */
export function chooseVoice(locale: string, requested: string | undefined, env: VoiceEnvironment): VoiceChoice {
  const voices = allVoices(env);
  if (requested !== undefined) {
    const v = voices.find((x) => x.id === requested);
    if (!v) return { error: `unknown voice ${JSON.stringify(requested)}; GET /api/v1/tts/voices lists them` };
    if (!v.locales.includes(locale)) return { error: `voice ${v.id} speaks ${v.locales.join(', ')}, not ${locale}` };
    const status = voiceStatus(v, env);
    return status.available ? { voice: v } : { error: `voice ${v.id} cannot speak now: ${status.reason}` };
  }
  const forLocale = voices.filter((v) => v.locales.includes(locale));
  const usable = forLocale.find((v) => voiceStatus(v, env).available);
  // Nothing usable: keep the last resort, so the item's audio fails with the reason rather than the item.
  return { voice: usable ?? forLocale.at(-1)! };
}
