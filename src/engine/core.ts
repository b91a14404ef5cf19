// What an engine host runs, whichever it is (a Bun Worker, or a child process with
// VOXLOG_ENGINE_HOST=process): one sherpa-onnx recognizer with many client streams on it.
import { StreamBatcher } from './batcher';
import type { Post, StreamDecoder } from './decoder';
import { OfflineVadDecoder } from './offline-decoder';
import { decodeSamples } from '../audio/codecs';
import { consumed, type DecodedAudio, type LoadSpec, type ToWorker } from './protocol';
import { loadSherpa, type SherpaModule, type SherpaOfflineRecognizer, type SherpaOnlineRecognizer } from './sherpa';
import { StreamingDecoder } from './streaming-decoder';
import { Silero } from './silero';
import { hear, type VoiceGate } from './voice';

type Loaded =
  | { kind: 'streaming'; recognizer: SherpaOnlineRecognizer; batcher: StreamBatcher | undefined; silero: Silero | undefined }
  | { kind: 'offline'; recognizer: SherpaOfflineRecognizer; vadModel: string };
type StreamMsg = DecodedAudio | Extract<ToWorker, { type: 'finalize' | 'close' }>;

/**
 * Handles the engine protocol's messages. Streaming models decode through a StreamBatcher when they
 * can batch; with voice-activity detection, the messages that arrived since the last pass are first
 * heard together (Silero judges the waiting windows of all their streams in batched calls), then
 * decoded in order. Offline models decode asynchronously, one message per stream at a time, in order.
 * `batch`-priority streams (jobs) take one message per turn of the event loop, after whatever
 * live messages arrived meanwhile, so a live frame never waits behind a whole file.
 */
export class EngineCore {
  private sherpa: SherpaModule | undefined;
  private loaded: Loaded | undefined;
  private readonly decoders = new Map<string, StreamDecoder>();
  private readonly batchStreams = new Set<string>();
  /** Offline streams' work in flight: each message waits for the one before it. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly deferred: StreamMsg[] = [];
  private draining = false;
  /** Streaming messages waiting for the next listening pass, in arrival order. */
  private readonly unheard: StreamMsg[] = [];
  /** The listening pass in progress, if any. */
  private listening: Promise<void> | undefined;
  private abortOnDecode = false;
  constructor(
    private readonly post: Post,
    private readonly exit: (code: number) => void,
  ) {}

  receive(raw: ToWorker): void {
    // Converting the client's samples here keeps that loop off the server's main thread.
    const msg: Exclude<ToWorker, { type: 'audio' }> | DecodedAudio =
      raw.type === 'audio' ? { type: 'audio', streamId: raw.streamId, seq: raw.seq, sampleRate: raw.sampleRate, samples: decodeSamples(raw.encoding, raw.pcm) } : raw;
    if ((msg.type === 'audio' || msg.type === 'finalize' || msg.type === 'close') && this.batchStreams.has(msg.streamId)) {
      this.deferred.push(msg);
      // setImmediate, not setTimeout(0): in a Bun Worker the latter waited about 1.2 ms per hop.
      if (!this.draining) (this.draining = true), setImmediate(() => this.drainOne());
      return;
    }
    this.handle(msg);
  }

  private handle(msg: Exclude<ToWorker, { type: 'audio' }> | DecodedAudio): void {
    switch (msg.type) {
      case 'load':
        return void this.load(msg.spec);
      case 'open':
        return this.open(msg);
      case 'audio':
      case 'finalize':
      case 'close':
        return this.stream(msg);
      case 'exit':
        // Ends only between messages and after async decodes settle, never inside native code.
        return void Promise.allSettled([...this.chains.values(), this.listening]).then(() => this.exit(msg.code));
      default: {
        const never: never = msg;
        throw new Error(`unknown engine message ${JSON.stringify(never)}`);
      }
    }
  }

  private async load(spec: LoadSpec): Promise<void> {
    const t0 = performance.now();
    this.abortOnDecode = spec.abortOnDecode === true;
    try {
      const sherpa = (this.sherpa ??= loadSherpa());
      if (spec.kind === 'streaming') {
        const recognizer = new sherpa.OnlineRecognizer(spec.recognizer);
        const batch = spec.batch;
        const batcher = batch && batch.size > 1 ? new StreamBatcher(recognizer, batch, (id) => this.decoders.get(id) as StreamingDecoder | undefined, (m) => this.control(m), this.post) : undefined;
        const silero = spec.vadModel ? await Silero.load(spec.vadModel) : undefined;
        this.loaded = { kind: 'streaming', recognizer, batcher, silero };
      } else this.loaded = { kind: 'offline', recognizer: new sherpa.OfflineRecognizer(spec.recognizer), vadModel: spec.vadModel };
      this.post({ type: 'ready', loadMs: Math.round(performance.now() - t0) });
    } catch (err) {
      this.post({ type: 'load_failed', message: String(err) });
    }
  }

  private open(msg: Extract<ToWorker, { type: 'open' }>): void {
    const { loaded, sherpa } = this;
    if (!loaded || !sherpa) return this.post({ type: 'stream_error', streamId: msg.streamId, message: 'model not loaded' });
    try {
      const d =
        loaded.kind === 'streaming'
          ? new StreamingDecoder(loaded.recognizer, msg.streamId, msg.originMs, this.post, msg.options, loaded.silero && { silero: loaded.silero, sherpa })
          : new OfflineVadDecoder(sherpa, loaded.recognizer, loaded.vadModel, msg.streamId, msg.originMs, msg.options, this.post);
      this.decoders.set(msg.streamId, d);
      if (msg.options.priority === 'batch') this.batchStreams.add(msg.streamId);
    } catch (err) {
      this.post({ type: 'stream_error', streamId: msg.streamId, message: String(err) });
    }
  }

  private stream(msg: StreamMsg): void {
    if (msg.type === 'audio' && this.abortOnDecode) process.abort();
    const loaded = this.loaded;
    if (loaded?.kind === 'streaming' && loaded.silero) {
      this.unheard.push(msg);
      // setImmediate: messages that arrive meanwhile (many, while a batch decodes) are heard together.
      this.listening ??= new Promise((done) => setImmediate(() => void this.listen(loaded.silero!).then(done)));
      return;
    }
    this.decode(msg);
  }

  /**
   * Hears every waiting message's audio (Silero over all their streams at once), then decodes the
   * messages in arrival order; repeats while more arrived during the pass.
   */
  private async listen(silero: Silero): Promise<void> {
    while (this.unheard.length > 0) {
      const msgs = this.unheard.splice(0);
      const gates = new Set<VoiceGate>();
      for (const m of msgs) {
        if (m.type !== 'audio') continue;
        const gate = (this.decoders.get(m.streamId) as StreamingDecoder | undefined)?.listen(m.samples, m.sampleRate);
        if (gate) gates.add(gate);
      }
      try {
        await hear(silero, gates);
      } catch (err) {
        // Their audio cannot be routed unheard: each such message is answered with the error (as decoding would).
        for (const m of msgs) if (m.type === 'audio') this.post({ type: 'stream_error', streamId: m.streamId, message: `voice activity: ${String(err)}` });
      }
      for (const m of msgs) this.decode(m);
    }
    this.listening = undefined;
  }

  private decode(msg: StreamMsg): void {
    const loaded = this.loaded;
    if (loaded?.kind === 'streaming' && loaded.batcher) return loaded.batcher.push(msg);
    if (loaded?.kind === 'offline') {
      // One message per stream at a time: the next starts when this one's async decodes are done.
      const chain = (this.chains.get(msg.streamId) ?? Promise.resolve()).then(() => this.run(msg));
      this.chains.set(msg.streamId, chain);
      void chain.then(() => this.chains.get(msg.streamId) === chain && this.chains.delete(msg.streamId));
      return;
    }
    void this.run(msg);
  }

  /** One stream message on its decoder; errors go to the stream, never out of the engine. */
  private async run(msg: StreamMsg): Promise<void> {
    if (msg.type !== 'audio') return this.control(msg);
    const t0 = performance.now();
    await this.withDecoder(msg.streamId, (d) => d.accept(msg.seq, msg.samples, msg.sampleRate));
    this.post(consumed(msg, performance.now() - t0, 1));
  }

  private control(msg: Exclude<StreamMsg, { type: 'audio' }>): Promise<void> {
    if (msg.type === 'finalize') {
      return this.withDecoder(msg.streamId, async (d) => {
        await d.finalize(msg.seq, 'finalize');
        this.post({ type: 'finalized', streamId: msg.streamId, seq: msg.seq });
      });
    }
    return this.withDecoder(msg.streamId, async (d) => {
      await d.finalize(msg.seq, msg.reason);
      this.decoders.delete(msg.streamId);
      this.batchStreams.delete(msg.streamId);
      this.post({ type: 'closed', streamId: msg.streamId, audioMs: Math.round(d.audioMs) });
    });
  }

  private async withDecoder(streamId: string, f: (d: StreamDecoder) => void | Promise<void>): Promise<void> {
    const d = this.decoders.get(streamId);
    if (!d) return this.post({ type: 'stream_error', streamId, message: `no open stream ${streamId}` });
    try {
      await f(d);
    } catch (err) {
      this.post({ type: 'stream_error', streamId, message: String(err) });
    }
  }

  private drainOne(): void {
    const next = this.deferred.shift();
    if (next) this.handle(next);
    if (this.deferred.length > 0) setImmediate(() => this.drainOne());
    else this.draining = false;
  }
}
