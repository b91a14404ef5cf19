// Bun Worker entry: owns one sherpa-onnx recognizer and multiplexes many client streams on it.
import type { StreamDecoder } from './decoder';
import { OfflineVadDecoder } from './offline-decoder';
import type { FromWorker, LoadSpec, ToWorker } from './protocol';
import { loadSherpa, type SherpaModule, type SherpaOfflineRecognizer, type SherpaOnlineRecognizer } from './sherpa';
import { StreamingDecoder } from './streaming-decoder';

declare const self: Worker;

type Loaded =
  | { kind: 'streaming'; recognizer: SherpaOnlineRecognizer }
  | { kind: 'offline'; recognizer: SherpaOfflineRecognizer; vadModel: string };

let sherpa: SherpaModule | undefined;
let loaded: Loaded | undefined;
const decoders = new Map<string, StreamDecoder>();
/** Streams opened with `priority: 'batch'`. */
const batchStreams = new Set<string>();
/**
 * Audio and control messages of batch streams, in arrival order. One is handled per turn of the
 * event loop, after whatever live messages arrived meanwhile: a live frame waits behind at most
 * one batch piece (a second of audio, some 20 ms of decoding), never behind a whole file.
 * setImmediate, not setTimeout(0): in a Bun Worker the latter waited about 1.2 ms per hop.
 */
const deferred: ToWorker[] = [];
let draining = false;
const post = (m: FromWorker): void => self.postMessage(m);

function load(spec: LoadSpec): Loaded {
  sherpa ??= loadSherpa();
  if (spec.kind === 'streaming') return { kind: 'streaming', recognizer: new sherpa.OnlineRecognizer(spec.recognizer) };
  return { kind: 'offline', recognizer: new sherpa.OfflineRecognizer(spec.recognizer), vadModel: spec.vadModel };
}

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'load': {
      const t0 = performance.now();
      try {
        loaded = load(msg.spec);
        post({ type: 'ready', loadMs: Math.round(performance.now() - t0) });
      } catch (err) {
        post({ type: 'load_failed', message: String(err) });
      }
      return;
    }
    case 'open': {
      if (!loaded || !sherpa) return post({ type: 'stream_error', streamId: msg.streamId, message: 'model not loaded' });
      try {
        const d =
          loaded.kind === 'streaming'
            ? new StreamingDecoder(loaded.recognizer, msg.streamId, msg.originMs, post)
            : new OfflineVadDecoder(sherpa, loaded.recognizer, loaded.vadModel, msg.streamId, msg.originMs, msg.options, post);
        decoders.set(msg.streamId, d);
        if (msg.options.priority === 'batch') batchStreams.add(msg.streamId);
      } catch (err) {
        post({ type: 'stream_error', streamId: msg.streamId, message: String(err) });
      }
      return;
    }
    case 'audio': {
      const t0 = performance.now();
      withDecoder(msg.streamId, (d) => d.accept(msg.seq, msg.samples, msg.sampleRate));
      return post({ type: 'consumed', streamId: msg.streamId, audioMs: (msg.samples.length * 1000) / msg.sampleRate, busyMs: performance.now() - t0 });
    }
    case 'finalize':
      return withDecoder(msg.streamId, (d) => d.finalize(msg.seq, 'finalize'));
    case 'close':
      return withDecoder(msg.streamId, (d) => {
        d.finalize(msg.seq, msg.reason);
        decoders.delete(msg.streamId);
        batchStreams.delete(msg.streamId);
        post({ type: 'closed', streamId: msg.streamId, audioMs: Math.round(d.audioMs) });
      });
    case 'exit':
      // Ends only this Worker's thread, at a point where no sherpa-onnx call is under way.
      return process.exit(msg.code);
    default: {
      const never: never = msg;
      throw new Error(`unknown worker message ${JSON.stringify(never)}`);
    }
  }
}

function withDecoder(streamId: string, f: (d: StreamDecoder) => void): void {
  const d = decoders.get(streamId);
  if (!d) return post({ type: 'stream_error', streamId, message: `no open stream ${streamId}` });
  try {
    f(d);
  } catch (err) {
    post({ type: 'stream_error', streamId, message: String(err) });
  }
}

function drainOne(): void {
  const next = deferred.shift();
  if (next) handle(next);
  if (deferred.length > 0) setImmediate(drainOne);
  else draining = false;
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if ((msg.type === 'audio' || msg.type === 'finalize' || msg.type === 'close') && batchStreams.has(msg.streamId)) {
    deferred.push(msg);
    if (!draining) (draining = true), setImmediate(drainOne);
    return;
  }
  handle(msg);
};
