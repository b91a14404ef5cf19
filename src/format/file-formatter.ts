// The punctuation model's thread (worker.ts), started with the first request and kept for the next:
// it formats transcripts of files (jobs, `bun run transcribe`) and marks the words of live finals
// (see FinalWriter), so the model never runs on the server's thread or an engine's.
import { pathToFileURL } from 'node:url';
import { START, type FormatContext, type Formatted, type FormatOptions, type SpokenWord } from './formatter';
import { insideCase, type Marked, type Marker } from './punctuator';
import type { FromFormatter, ToFormatter } from './worker';
import { OWN, type PunctuationModel } from './choice';

/** In the binary, `bun run build` bundles the worker beside the main program (see scripts/build.ts). */
const WORKER_URL = Bun.isStandaloneExecutable ? new URL('format/worker.js', pathToFileURL(Bun.main)).href : new URL('./worker.ts', import.meta.url).href;

type Request = ToFormatter extends infer T ? (T extends { readonly id: number } ? Omit<T, 'id'> : never) : never;
type Answer = Exclude<FromFormatter, { type: 'failed' }>;
type Pending = { resolve: (r: Answer) => void; reject: (e: Error) => void };
type PooledWorker = Worker & { ref(): void; unref(): void };

/** The punctuation model every format worker started from now on runs (the server and `transcribe` set it at start). */
let punctuationModel: PunctuationModel = OWN;
export const usePunctuationModel = (model: PunctuationModel): void => void (punctuationModel = model);

/** A segment of a file: its recogniser text, times, and word times where the model gives them. */
export interface FileSegment {
  readonly text: string;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly words: readonly SpokenWord[];
}

export class FileFormatter implements Marker {
  private worker: PooledWorker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /** Segments written as text, each after `context` and the segments before it, before the ones after it and `after`; with the context after them. */
  async format(segments: readonly (readonly SpokenWord[])[], options: FormatOptions, context: FormatContext = START, after: readonly string[] = []): Promise<{ texts: Formatted[]; context: FormatContext }> {
    const r = await this.ask({ type: 'format', segments, options, context, after });
    if (r.type !== 'formatted') throw new Error(`formatting failed: the formatter answered ${r.type}`);
    return r;
  }

  /** Marks each word with the punctuation model (a live final's words with the words before it). */
  async mark(words: readonly string[]): Promise<Marked[]> {
    const r = await this.ask({ type: 'mark', words });
    if (r.type !== 'marked') throw new Error(`formatting failed: the formatter answered ${r.type}`);
    return r.marks;
  }

  /** Starts the worker and loads its punctuation model, if not yet done; rejects if the model cannot load. */
  async prepare(): Promise<void> {
    await this.mark([]);
  }

  insideCase(word: string) {
    return insideCase(word);
  }

  /** A file's transcript, written as it arrives: `add` each batch of segments in order. */
  transcript<S extends FileSegment>(options: FormatOptions): TranscriptWriter<S> {
    return new TranscriptWriter<S>(this, options);
  }

  /** Ends the worker (shutdown); a later request starts another. */
  close(): void {
    this.worker?.postMessage({ type: 'exit' } satisfies ToFormatter);
    this.worker = undefined;
  }

  private ask(request: Request): Promise<Answer> {
    const worker = this.start();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id } as ToFormatter);
    });
  }

  private start(): PooledWorker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL) as PooledWorker;
    worker.postMessage({ type: 'use', model: punctuationModel } satisfies ToFormatter);
    worker.onmessage = (e: MessageEvent<FromFormatter>) => {
      const m = e.data;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'failed') p?.reject(new Error(`formatting failed: ${m.message}`));
      else p?.resolve(m);
    };
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`formatting failed: ${why}`));
      this.pending.clear();
    };
    worker.onerror = (e) => lost(e.message);
    worker.addEventListener('close', () => lost('the formatter stopped'));
    return (this.worker = worker);
  }
}

/**
 * One file's segments formatted in order as they come, each with the words before and after it: the
 * last segment added waits for the next batch (or `finish`), whose words it reads as what follows it.
 */
export class TranscriptWriter<S extends FileSegment> {
  private context = START;
  private chain: Promise<unknown> = Promise.resolve();
  private held: S[] = [];
  private readonly written: Formatted[] = [];
  private failure: unknown;

  constructor(
    private readonly formatter: FileFormatter,
    private readonly options: FormatOptions,
  ) {}

  /** Adds the next segments in order; resolves with the segments written by it (those held before, and all but the last of these). */
  add(segments: readonly S[]): Promise<{ segment: S; written: Formatted }[]> {
    const ready = [...this.held, ...segments];
    this.held = ready.splice(-1);
    return this.write(ready, this.held.flatMap((s) => spokenWords(s).map((w) => w.word)));
  }

  /** Writes the segment still held; resolves with every segment written, in order (rejects if a batch failed). */
  async finish(): Promise<Formatted[]> {
    const last = this.held;
    this.held = [];
    await this.write(last, []).catch(() => undefined);
    if (this.failure !== undefined) throw this.failure;
    return this.written;
  }

  private write(segments: S[], after: readonly string[]): Promise<{ segment: S; written: Formatted }[]> {
    const done = this.chain.then(async () => {
      if (segments.length === 0) return [];
      const { texts, context } = await this.formatter.format(segments.map(spokenWords), this.options, this.context, after);
      this.context = context;
      this.written.push(...texts);
      return texts.map((written, i) => ({ segment: segments[i]!, written }));
    });
    this.chain = done.catch((err: unknown) => void (this.failure ??= err));
    return done;
  }
}

/** A segment's words; one without word times is read as its text's words, each spanning the segment. */
export function spokenWords(s: FileSegment): readonly SpokenWord[] {
  return s.words.length > 0 ? s.words : s.text.split(/\s+/).filter(Boolean).map((word) => ({ word, start_ms: s.start_ms, end_ms: s.end_ms }));
}
