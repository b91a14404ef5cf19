// The engine protocol between the server and an engine child process (VOXLOG_ENGINE_HOST=process),
// over a Unix socket. Every frame is `u32 length (LE) | u8 kind | body`. Audio to the engine and
// its per-frame `consumed` answers are binary; the rare control messages and the results (text)
// are JSON. Audio is never JSON.
import { ENCODINGS } from '../audio/codecs';
import type { FromWorker, ToWorker } from './protocol';

const JSON_KIND = 0;
const AUDIO_KIND = 1;
const CONSUMED_KIND = 2;
/** A frame larger than this is a broken peer, not a message (the server caps frames far lower). */
const MAX_FRAME = 64 * 1024 * 1024;

const utf8 = new TextEncoder();
const text = new TextDecoder();

function frame(kind: number, bodyBytes: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(5 + bodyBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 1 + bodyBytes, true);
  bytes[4] = kind;
  return { bytes, view };
}

function jsonFrame(msg: unknown): Uint8Array {
  const body = utf8.encode(JSON.stringify(msg));
  const { bytes } = frame(JSON_KIND, body.length);
  bytes.set(body, 5);
  return bytes;
}

/** `u32 seq | u32 sampleRate | u8 encoding | u16 id length | id | samples as the client sent them`. */
export function encodeToEngine(msg: ToWorker): Uint8Array {
  if (msg.type !== 'audio') return jsonFrame(msg);
  const id = utf8.encode(msg.streamId);
  const { bytes, view } = frame(AUDIO_KIND, 11 + id.length + msg.pcm.byteLength);
  view.setUint32(5, msg.seq, true);
  view.setUint32(9, msg.sampleRate, true);
  bytes[13] = ENCODINGS.indexOf(msg.encoding);
  view.setUint16(14, id.length, true);
  bytes.set(id, 16);
  bytes.set(msg.pcm, 16 + id.length);
  return bytes;
}

/** `f64 audioMs | f64 busyMs | u16 batch | id`. */
export function encodeFromEngine(msg: FromWorker): Uint8Array {
  if (msg.type !== 'consumed') return jsonFrame(msg);
  const id = utf8.encode(msg.streamId);
  const { bytes, view } = frame(CONSUMED_KIND, 18 + id.length);
  view.setFloat64(5, msg.audioMs, true);
  view.setFloat64(13, msg.busyMs, true);
  view.setUint16(21, msg.batch, true);
  bytes.set(id, 23);
  return bytes;
}

function decodeToEngine(kind: number, body: Uint8Array): ToWorker {
  if (kind === JSON_KIND) return JSON.parse(text.decode(body)) as ToWorker;
  if (kind !== AUDIO_KIND) throw new Error(`unknown engine frame kind ${kind}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const encoding = ENCODINGS[body[8]!];
  if (!encoding) throw new Error(`unknown audio encoding ${body[8]} in an engine frame`);
  const idLength = view.getUint16(9, true);
  const streamId = text.decode(body.subarray(11, 11 + idLength));
  // A copy: the socket reuses its read buffer. (`new Uint8Array(view)` copies; a Buffer's `slice` would not.)
  const pcm = new Uint8Array(body.subarray(11 + idLength));
  return { type: 'audio', streamId, seq: view.getUint32(0, true), sampleRate: view.getUint32(4, true), encoding, pcm };
}

function decodeFromEngine(kind: number, body: Uint8Array): FromWorker {
  if (kind === JSON_KIND) return JSON.parse(text.decode(body)) as FromWorker;
  if (kind !== CONSUMED_KIND) throw new Error(`unknown engine frame kind ${kind}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return { type: 'consumed', audioMs: view.getFloat64(0, true), busyMs: view.getFloat64(8, true), batch: view.getUint16(16, true), streamId: text.decode(body.subarray(18)) };
}

/** Cuts a byte stream into frames, however the socket chunks it. */
class FrameReader<T> {
  private buffer = new Uint8Array(0);

  constructor(private readonly decode: (kind: number, body: Uint8Array) => T) {}

  *push(chunk: Uint8Array): Generator<T> {
    const buf = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    let at = 0;
    while (buf.length - at >= 4) {
      const length = new DataView(buf.buffer, buf.byteOffset + at, 4).getUint32(0, true);
      if (length < 1 || length > MAX_FRAME) throw new Error(`engine frame of ${length} bytes`);
      if (buf.length - at < 4 + length) break;
      yield this.decode(buf[at + 4]!, buf.subarray(at + 5, at + 4 + length));
      at += 4 + length;
    }
    // Keep only the unfinished frame, copied: the socket may reuse the chunk's memory.
    this.buffer = new Uint8Array(buf.subarray(at));
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export const engineSideReader = (): FrameReader<ToWorker> => new FrameReader(decodeToEngine);
export const serverSideReader = (): FrameReader<FromWorker> => new FrameReader(decodeFromEngine);
