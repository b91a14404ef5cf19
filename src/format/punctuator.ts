// voxlog's own punctuation and casing model (assets/punct-en, trained by training/punct/train.py):
// for each spoken word, the punctuation written after it and its case. Run with onnxruntime-node on
// the thread that formats (an engine worker), never with Python.
import type { InferenceSession } from 'onnxruntime-node';
import modelPath from '../../assets/punct-en/model.onnx' with { type: 'file' };
import shippedMeta from '../../assets/punct-en/vocab.json';
import { loadOnnxRuntime, type OnnxRuntime } from '../engine/onnxruntime';

export type Punct = '' | ',' | '.' | '?' | ';' | ':';
export type Case = 'lower' | 'capital' | 'upper';

/** What the model says of one word. */
export interface Marked {
  readonly punct: Punct;
  readonly case: Case;
  /** Probability that a sentence ends after the word ('.' or '?'). */
  readonly sentenceEnd: number;
}

interface Meta {
  readonly unknown: number;
  readonly suffix_buckets: number;
  readonly suffix_chars: number;
  readonly punct: Punct[];
  readonly cases: Case[];
  readonly vocab: string[];
  /** Words written with a capital or in capitals inside a sentence (names, "I", acronyms); the rest are lower case there. */
  readonly cased?: Readonly<Record<string, Case>>;
}

/** What the formatter asks of a punctuation model. */
export interface Marker {
  /** Marks each word (any case; numbers as words, as a recogniser writes them). */
  mark(words: readonly string[]): Promise<Marked[]>;
  /** How a word is written inside a sentence. */
  insideCase(word: string): Case;
}

export class Punctuator implements Marker {
  private readonly index: Map<string, number>;

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: InferenceSession,
    private readonly meta: Meta,
  ) {
    this.index = new Map(meta.vocab.map((w, i) => [w, i + 2]));
  }

  /** Loads the shipped model (or the one at `dir`); throws if its inputs or outputs are not the ones trained. */
  static async load(dir?: string): Promise<Punctuator> {
    const ort = loadOnnxRuntime();
    const model = await Bun.file(dir ? `${dir}/model.onnx` : modelPath).bytes();
    const meta = (dir ? await Bun.file(`${dir}/vocab.json`).json() : shippedMeta) as Meta;
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    const io = `${session.inputNames.join(',')} -> ${session.outputNames.join(',')}`;
    if (io !== 'words,suffixes -> punct,case') throw new Error(`not a voxlog punctuation model (${io})`);
    return new Punctuator(ort, session, meta);
  }

  insideCase(word: string): Case {
    return insideCase(word, this.meta);
  }

  /** Marks each word (any case; numbers as words, as a recogniser writes them). */
  async mark(words: readonly string[]): Promise<Marked[]> {
    if (words.length === 0) return [];
    const spoken = words.map((w) => w.toLowerCase());
    const ids = BigInt64Array.from(spoken, (w) => BigInt(this.index.get(w) ?? this.meta.unknown));
    const suffixes = BigInt64Array.from(spoken, (w) => BigInt(1 + (fnv1a(w.slice(-this.meta.suffix_chars)) % this.meta.suffix_buckets)));
    const { Tensor } = this.ort;
    const out = await this.session.run({ words: new Tensor('int64', ids, [1, ids.length]), suffixes: new Tensor('int64', suffixes, [1, ids.length]) });
    const punct = out.punct!.data as Float32Array;
    const cases = out.case!.data as Float32Array;
    const np = this.meta.punct.length;
    const nc = this.meta.cases.length;
    const end = [this.meta.punct.indexOf('.'), this.meta.punct.indexOf('?')];
    return spoken.map((_, i) => {
      const p = softmax(punct.subarray(i * np, (i + 1) * np));
      return { punct: this.meta.punct[argmax(p)]!, case: this.meta.cases[argmax(cases.subarray(i * nc, (i + 1) * nc))]!, sentenceEnd: end.reduce((s, k) => s + p[k]!, 0) };
    });
  }
}

/** How `word` is written inside a sentence, as training saw it most often: "john" Capital, "nasa" UPPER, "and" lower. */
export function insideCase(word: string, meta: Pick<Meta, 'cased'> = shippedMeta as Meta): Case {
  const cased = meta.cased ?? {};
  const key = word.toLowerCase();
  return Object.hasOwn(cased, key) ? cased[key]! : 'lower';
}

/** 32-bit FNV-1a of the UTF-8 bytes, as training/punct/train.py computes it. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

function softmax(xs: Float32Array): Float32Array {
  const max = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
