// Where live finals are written as text: on the server's side of an engine (WorkerSlot), with the
// punctuation model on its own thread (the format worker), so a final never waits behind a batch of
// decoding on the engine's thread. A stream that asks for formatting has its messages queued while a
// final is being written, so the final still goes out before what came after it.
import type { Post } from '../engine/decoder';
import type { FromWorker } from '../engine/protocol';
import { FileFormatter } from './file-formatter';
import { format, next, START, turnConfidence, type FormatContext, type FormatOptions } from './formatter';
import type { Marker } from './punctuator';

/**
 * The format worker that marks every engine's live finals, started (its model loaded) when the first
 * stream that asks opens, so no final waits for the model to load.
 */
let shared: FileFormatter | undefined;
async function liveMarker(): Promise<Marker> {
  shared ??= new FileFormatter();
  await shared.prepare();
  return shared;
}

interface Stream {
  readonly options: FormatOptions;
  context: FormatContext;
  /** Set while a final is being written: what the stream posts meanwhile waits behind it. */
  queue: Promise<void> | undefined;
}

export class FinalWriter {
  private punctuator: Promise<Marker | undefined> | undefined;
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly send: Post,
    private readonly load: () => Promise<Marker> = liveMarker,
  ) {}

  /**
   * A stream opens: with format options, its finals are written (the model loads with the first such
   * stream). A stream reopened on a restarted engine keeps its context: its next final continues the text.
   */
  open(streamId: string, options: FormatOptions | undefined): void {
    if (!options || (!options.punctuate && !options.numerals) || this.streams.has(streamId)) return;
    if (options.punctuate) {
      this.punctuator ??= this.load().catch((err: unknown) => {
        console.error(`punctuation model failed to load; finals keep the recogniser's text: ${String(err)}`);
        return undefined;
      });
    }
    this.streams.set(streamId, { options, context: START, queue: undefined });
  }

  /**
   * Sends `m`; a final goes with its written text. A stream's messages wait only while one of its finals
   * is being written, so partials and each frame's `consumed` pass straight through otherwise.
   */
  readonly post: Post = (m) => {
    const stream = 'streamId' in m ? this.streams.get(m.streamId) : undefined;
    if (!stream) return this.send(m);
    if (m.type !== 'final' && !stream.queue) return this.deliver(m);
    const queued = (stream.queue ?? Promise.resolve()).then(async () => this.deliver(m.type === 'final' ? await this.write(stream, m) : m));
    stream.queue = queued;
    void queued.then(() => {
      if (stream.queue === queued) stream.queue = undefined;
    });
  };

  /** Forgets a stream whose engine gave up (no `closed` will come for it). */
  forget(streamId: string): void {
    this.streams.delete(streamId);
  }

  /** Resolves once every message posted so far has been sent. */
  async settled(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.queue));
  }

  private deliver(m: FromWorker): void {
    // Forgotten before it is told: a session told its stream closed may reopen the same id at once (a
    // `config` that needs a new stream), and that stream is written like the one before.
    if (m.type === 'closed') this.streams.delete(m.streamId);
    this.send(m);
  }

  private async write(stream: Stream, m: Extract<FromWorker, { type: 'final' }>): Promise<FromWorker> {
    // Timed from here: a final that comes while the model still loads waits for it too.
    const t0 = performance.now();
    try {
      const punctuator = stream.options.punctuate ? await this.punctuator : undefined;
      // A final the endpoint, a finalize or the close ended: the speaker stopped there (not a length cut or a model switch).
      const paused = m.reason === 'endpoint' || m.reason === 'finalize' || m.reason === 'close';
      const written = await format(punctuator, m.words, stream.options, stream.context, [], paused);
      stream.context = next(stream.context, m.words, written);
      const turn = written.endProbability === undefined ? {} : { turnConfidence: turnConfidence(written.endProbability) };
      return { ...m, formatted: { text: written.text, words: written.words }, formatMs: performance.now() - t0, ...turn };
    } catch (err) {
      console.error(`formatting a final failed; it keeps the recogniser's text: ${String(err)}`);
      return m;
    }
  }
}
