// sherpa-onnx's English punctuation and casing model (catalog: sherpa-onnx-online-punct-en-2024-08-06),
// for machines that can download it: VOXLOG_PUNCTUATION_MODEL=<its id> writes text with it instead of
// voxlog's own model. It takes text and gives text back, so its marks are read off the words it wrote.
import { insideCase, type Case, type Marked, type Marker } from './punctuator';
import { loadSherpa, type SherpaOnlinePunctuation } from '../engine/sherpa';
import { PUNCT_PROBE_COMMAND, runChild } from '../engine/child-command';
import { caseOf, markOf } from '../scoring/punctuation';

/** Where the model's two files are (its catalog entry's `cnnBilstm` and `bpeVocab`). */
export interface SherpaPunctuationFiles {
  readonly cnnBilstm: string;
  readonly bpeVocab: string;
}

/** sherpa-onnx's config for the model: one thread, as voxlog's own model runs. */
const sherpaPunctuationConfig = (files: SherpaPunctuationFiles): unknown => ({ model: { ...files, numThreads: 1, provider: 'cpu', debug: 0 } });

export class SherpaPunctuation implements Marker {
  private constructor(private readonly model: SherpaOnlinePunctuation) {}

  /** Loads the model; call it only after a probe process loaded the same files (probeSherpaPunctuation), since a bad file ends the process natively. */
  static load(files: SherpaPunctuationFiles): SherpaPunctuation {
    return new SherpaPunctuation(new (loadSherpa().OnlinePunctuation)(sherpaPunctuationConfig(files)));
  }

  /** The model's own text for `text` (lower case, unpunctuated). */
  addPunct(text: string): string {
    return this.model.addPunct(text);
  }

  async mark(words: readonly string[]): Promise<Marked[]> {
    if (words.length === 0) return [];
    return marksOf(words, this.addPunct(words.map((w) => w.toLowerCase()).join(' ')));
  }

  /** The model cases a whole text; inside a sentence, a segment's first word is written as voxlog's vocabulary knows it. */
  insideCase(word: string): Case {
    return insideCase(word);
  }
}

const letters = (w: string): string => w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');

/**
 * Each spoken word's mark and case, read off the text the model wrote: its words in order, each with
 * marks after it. A word the model did not give back as itself (merged or split) is left unmarked and
 * lower case. The model says nothing of its confidence: a sentence end is 1, anything else 0.
 */
export function marksOf(words: readonly string[], written: string): Marked[] {
  const out = written.split(/\s+/).filter(Boolean);
  let k = 0;
  return words.map((spoken) => {
    const want = letters(spoken);
    const at = out.findIndex((w, i) => i >= k && i < k + 3 && letters(w) === want);
    if (at < 0) return { punct: '', case: 'lower', sentenceEnd: 0 };
    k = at + 1;
    const w = out[at]!;
    const punct = markOf(w).mark;
    return { punct, case: caseOf(w), sentenceEnd: punct === '.' || punct === '?' ? 1 : 0 };
  });
}

/** What the probe writes: a sentence whose words the model must give back. */
const PROBE_TEXT = 'how are you i am fine thank you';

/**
 * Loads the model in a throwaway process and writes one sentence there, so a file that makes native
 * code abort fails in that process, not in the server; resolves with why it failed, or null.
 */
export async function probeSherpaPunctuation(files: SherpaPunctuationFiles): Promise<string | null> {
  const { code, lines, why } = await runChild(PUNCT_PROBE_COMMAND, JSON.stringify(files), 60_000);
  return code === 0 && lines.includes('ok') ? null : `the punctuation model crashed or failed when loaded in a probe process ${why}`;
}

/** The probe process (`__punct '<files JSON>'`): prints "ok" when the model wrote the probe's words back. */
export function runPunctuationProbe(filesJson: string): void {
  const files = JSON.parse(filesJson) as SherpaPunctuationFiles;
  const marks = marksOf(PROBE_TEXT.split(' '), SherpaPunctuation.load(files).addPunct(PROBE_TEXT));
  if (marks.every((m) => m.case === 'lower' && m.punct === '')) throw new Error('the model gave the probe sentence back without a mark or a capital');
  console.log('ok');
}
