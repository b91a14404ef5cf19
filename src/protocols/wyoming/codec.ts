// The Wyoming event format (github.com/OHF-Voice/wyoming): a JSON header line, then `data_length`
// bytes of JSON data (merged over the header's own `data`), then `payload_length` bytes of payload.

/** The protocol version voxlog speaks (the wyoming package's, as Home Assistant 2025 sends it). */
export const WYOMING_VERSION = '1.7.2';

export interface WyomingEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly payload?: Uint8Array;
}

export class WyomingFormatError extends Error {}

const MAX_HEADER_BYTES = 64 * 1024;
const MAX_DATA_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/** Reads events out of a TCP byte stream, whatever sizes its chunks come in. */
export class WyomingReader {
  private buffer: Uint8Array = new Uint8Array(0);
  private header: { type: string; data: Record<string, unknown>; dataLength: number; payloadLength: number } | undefined;

  constructor(private readonly maxPayloadBytes: number) {}

  /** Adds bytes; returns every event they complete. Throws WyomingFormatError on a malformed stream. */
  push(chunk: Uint8Array): WyomingEvent[] {
    this.buffer = this.buffer.length === 0 ? chunk.slice() : concat(this.buffer, chunk);
    const events: WyomingEvent[] = [];
    for (;;) {
      if (!this.header) {
        const end = this.buffer.indexOf(NEWLINE);
        if (end < 0) {
          if (this.buffer.length > MAX_HEADER_BYTES) throw new WyomingFormatError(`no newline in the first ${MAX_HEADER_BYTES} bytes: not a Wyoming header`);
          return events;
        }
        this.header = parseHeader(new TextDecoder().decode(this.buffer.subarray(0, end)), this.maxPayloadBytes);
        this.buffer = this.buffer.subarray(end + 1);
      }
      const { type, data, dataLength, payloadLength } = this.header;
      if (this.buffer.length < dataLength + payloadLength) return events;
      const extra = dataLength > 0 ? parseJsonObject(new TextDecoder().decode(this.buffer.subarray(0, dataLength)), 'data') : {};
      const payload = payloadLength > 0 ? this.buffer.slice(dataLength, dataLength + payloadLength) : undefined;
      this.buffer = this.buffer.subarray(dataLength + payloadLength);
      this.header = undefined;
      events.push({ type, data: { ...data, ...extra }, ...(payload ? { payload } : {}) });
    }
  }
}

function parseHeader(line: string, maxPayloadBytes: number) {
  const h = parseJsonObject(line, 'header');
  if (typeof h.type !== 'string' || h.type === '') throw new WyomingFormatError('the header has no "type"');
  const length = (name: string, max: number): number => {
    const v = h[name] ?? 0;
    if (v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new WyomingFormatError(`${name} must be a whole number of bytes`);
    if (v > max) throw new WyomingFormatError(`${name} ${v} is over the limit of ${max} bytes`);
    return v;
  };
  const data = h.data === undefined || h.data === null ? {} : h.data;
  if (typeof data !== 'object' || Array.isArray(data)) throw new WyomingFormatError('the header\'s "data" must be an object');
  return { type: h.type, data: data as Record<string, unknown>, dataLength: length('data_length', MAX_DATA_BYTES), payloadLength: length('payload_length', maxPayloadBytes) };
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new WyomingFormatError(`the ${what} is not JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new WyomingFormatError(`the ${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** One event's bytes: header line, data, payload. */
export function encodeEvent(type: string, data: Record<string, unknown> = {}, payload?: Uint8Array): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(data));
  const header = { type, version: WYOMING_VERSION, data_length: body.length, ...(payload ? { payload_length: payload.length } : {}) };
  const head = new TextEncoder().encode(`${JSON.stringify(header)}\n`);
  return concat(concat(head, body), payload ?? new Uint8Array(0));
}
