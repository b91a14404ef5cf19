import type { Post } from './decoder';
import { consumed, type DecodedAudio, type ToWorker } from './protocol';
import type { SherpaOnlineRecognizer } from './sherpa';
import type { StreamingDecoder } from './streaming-decoder';

/** How a worker batches: at most `size` streams per decode call, waiting at most `waitMs` for them. */
export interface BatchSettings {
  readonly size: number;
  readonly waitMs: number;
}

type StreamMsg = DecodedAudio | Extract<ToWorker, { type: 'finalize' | 'close' }>;
type Fed = { readonly decoder: StreamingDecoder; readonly msg: DecodedAudio };

/**
 * Decodes the ready chunks of many streams of one streaming recognizer in `decodeStreams` calls.
 * Each audio message is handled exactly as a one-by-one decode would (fed, decoded as far as it
 * goes, then its partial or final read) so transcripts are identical; only streams with a whole
 * chunk ready wait, at most `waitMs`, for others to join their batch. A stream's later messages
 * queue behind its pending one, in order.
 */
export class StreamBatcher {
  /** Streams fed a message whose chunk waits for the next decode. */
  private readonly pending = new Map<string, Fed>();
  /** Messages that arrived while their stream had one pending. */
  private readonly queued = new Map<string, StreamMsg[]>();
  private timer: Timer | undefined;

  constructor(
    private readonly recognizer: SherpaOnlineRecognizer,
    private readonly settings: BatchSettings,
    private readonly decoderOf: (streamId: string) => StreamingDecoder | undefined,
    /** Runs a finalize or close (they decode on their own); called in the stream's order. */
    private readonly control: (msg: Exclude<StreamMsg, { type: 'audio' }>) => void,
    private readonly post: Post,
  ) {}

  push(msg: StreamMsg): void {
    const q = this.queued.get(msg.streamId);
    if (q || this.pending.has(msg.streamId)) return void (q ? q.push(msg) : this.queued.set(msg.streamId, [msg]));
    if (msg.type !== 'audio') return this.control(msg);
    this.feed(msg);
    if (this.pending.size >= this.settings.size) this.flush();
    else if (this.pending.size > 0 && !this.timer) this.timer = setTimeout(() => this.flush(), this.settings.waitMs);
  }

  /** Decodes every pending stream, then the queued messages round by round until none is left. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.size > 0) {
      const round = [...this.pending.values()];
      this.pending.clear();
      this.decode(round);
      for (const [streamId, q] of this.queued) {
        while (q.length > 0 && !this.pending.has(streamId)) {
          const msg = q.shift()!;
          if (msg.type === 'audio') this.feed(msg);
          else this.control(msg);
        }
        if (q.length === 0) this.queued.delete(streamId);
      }
    }
  }

  /** Feeds one message; a stream with no whole chunk is answered at once, like a one-by-one decode. */
  private feed(msg: DecodedAudio): void {
    const decoder = this.decoderOf(msg.streamId);
    if (!decoder) return this.post({ type: 'stream_error', streamId: msg.streamId, message: `no open stream ${msg.streamId}` });
    const t0 = performance.now();
    try {
      decoder.feed(msg.seq, msg.samples, msg.sampleRate);
    } catch (err) {
      return this.post({ type: 'stream_error', streamId: msg.streamId, message: String(err) });
    }
    if (decoder.ready) this.pending.set(msg.streamId, { decoder, msg });
    else this.finish({ decoder, msg }, performance.now() - t0, 0);
  }

  private decode(round: Fed[]): void {
    const t0 = performance.now();
    try {
      for (;;) {
        const ready = round.filter((f) => f.decoder.ready).map((f) => f.decoder.sherpaStream);
        if (ready.length === 0) break;
        for (let at = 0; at < ready.length; at += this.settings.size) {
          const batch = ready.slice(at, at + this.settings.size);
          if (batch.length === 1) this.recognizer.decode(batch[0]!);
          else this.recognizer.decodeStreams(batch);
        }
      }
    } catch (err) {
      for (const f of round) this.post({ type: 'stream_error', streamId: f.msg.streamId, message: String(err) }), this.post(consumed(f.msg, 0, 0));
      return;
    }
    for (const f of round) f.decoder.decodedElsewhere();
    const share = (performance.now() - t0) / round.length;
    const together = Math.min(round.length, this.settings.size);
    for (const f of round) this.finish(f, share, together);
  }

  private finish(f: Fed, busyMs: number, batch: number): void {
    try {
      f.decoder.emit(f.msg.seq);
    } catch (err) {
      this.post({ type: 'stream_error', streamId: f.msg.streamId, message: String(err) });
    }
    this.post(consumed(f.msg, busyMs, batch));
  }
}
