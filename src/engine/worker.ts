// Bun Worker entry: owns one sherpa-onnx recognizer and multiplexes many client streams on it.
import type { FromWorker, ToWorker } from './protocol';
import { loadSherpa, type SherpaOnlineRecognizer } from './sherpa';
import { StreamingDecoder } from './streaming-decoder';

declare const self: Worker;

let recognizer: SherpaOnlineRecognizer | undefined;
const decoders = new Map<string, StreamingDecoder>();
const post = (m: FromWorker): void => self.postMessage(m);

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'load': {
      const t0 = performance.now();
      try {
        recognizer = new (loadSherpa().OnlineRecognizer)(msg.config);
        post({ type: 'ready', loadMs: Math.round(performance.now() - t0) });
      } catch (err) {
        post({ type: 'load_failed', message: String(err) });
      }
      return;
    }
    case 'open':
      if (!recognizer) return post({ type: 'stream_error', streamId: msg.streamId, message: 'model not loaded' });
      decoders.set(msg.streamId, new StreamingDecoder(recognizer, msg.streamId, msg.originMs, post));
      return;
    case 'audio':
      return withDecoder(msg.streamId, (d) => d.accept(msg.seq, msg.samples, msg.sampleRate));
    case 'finalize':
      return withDecoder(msg.streamId, (d) => d.finalize(msg.seq, 'finalize'));
    case 'close':
      return withDecoder(msg.streamId, (d) => {
        d.finalize(msg.seq, 'close');
        decoders.delete(msg.streamId);
        post({ type: 'closed', streamId: msg.streamId, audioMs: Math.round(d.audioMs) });
      });
    default: {
      const never: never = msg;
      throw new Error(`unknown worker message ${JSON.stringify(never)}`);
    }
  }
}

function withDecoder(streamId: string, f: (d: StreamingDecoder) => void): void {
  const d = decoders.get(streamId);
  if (!d) return post({ type: 'stream_error', streamId, message: `no open stream ${streamId}` });
  try {
    f(d);
  } catch (err) {
    post({ type: 'stream_error', streamId, message: String(err) });
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => handle(e.data);
