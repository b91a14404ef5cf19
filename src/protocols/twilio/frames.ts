// Media Streams frames as Twilio sends them, and the same shape from Telnyx (snake_case ids,
// `media_format` with PCMU/PCMA) and SignalWire (Twilio's names exactly), read into one form.
import type { Encoding } from '../../audio/codecs';

export type Frame =
  | { readonly event: 'connected' }
  | { readonly event: 'start'; readonly seq: number | null; readonly start: Start }
  | { readonly event: 'media'; readonly seq: number | null; readonly track: string; readonly chunk: number | null; readonly payload: string }
  | { readonly event: 'mark' | 'dtmf' | 'other'; readonly seq: number | null }
  | { readonly event: 'stop'; readonly seq: number | null };

export interface Start {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string | null;
  readonly tracks: readonly string[];
  readonly customParameters: Readonly<Record<string, string>>;
  readonly encoding: Encoding;
  readonly sampleRate: number;
}

const ENCODINGS: Record<string, Encoding> = { 'audio/x-mulaw': 'mulaw', 'audio/x-alaw': 'alaw', pcmu: 'mulaw', pcma: 'alaw' };

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
/** Twilio sends sequence and chunk numbers as strings of digits. */
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : null);

/** Reads one text frame as Elysia parsed it; a string back is what is wrong with it. */
export function readFrame(raw: unknown): Frame | string {
  if (typeof raw === 'string') return `frames must be JSON; got ${JSON.stringify(raw.slice(0, 40))}`;
  const f = obj(raw);
  const seq = count(f.sequenceNumber ?? f.sequence_number);
  switch (f.event) {
    case 'connected':
      return { event: 'connected' };
    case 'start':
      return readStart(f, seq);
    case 'media': {
      const m = obj(f.media);
      if (typeof m.payload !== 'string') return 'a media frame has no media.payload';
      return { event: 'media', seq, track: text(m.track) ?? 'inbound', chunk: count(m.chunk), payload: m.payload };
    }
    case 'stop':
      return { event: 'stop', seq };
    case 'mark':
    case 'dtmf':
      return { event: f.event, seq };
    default:
      return typeof f.event === 'string' ? { event: 'other', seq } : 'a frame has no "event"';
  }
}

function readStart(f: Record<string, unknown>, seq: number | null): Frame | string {
  const s = obj(f.start);
  const format = obj(s.mediaFormat ?? s.media_format);
  const streamSid = text(s.streamSid ?? f.streamSid ?? s.stream_id ?? f.stream_id);
  const callSid = text(s.callSid ?? s.call_control_id ?? s.call_sid);
  if (!streamSid || !callSid) return 'start needs start.streamSid and start.callSid (or Telnyx\'s stream_id and call_control_id)';
  const name = String(format.encoding ?? 'audio/x-mulaw').toLowerCase();
  const encoding = ENCODINGS[name];
  if (!encoding) return `media format ${JSON.stringify(format.encoding)} is not supported: use audio/x-mulaw (Twilio, SignalWire) or PCMU/PCMA (Telnyx)`;
  const sampleRate = count(format.sampleRate ?? format.sample_rate) ?? 8000;
  if (sampleRate < 8000 || sampleRate > 48000) return `sample rate ${sampleRate} is not supported`;
  const params = obj(s.customParameters ?? s.custom_parameters);
  const customParameters = Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const tracks = Array.isArray(s.tracks) ? s.tracks.filter((t): t is string => typeof t === 'string') : ['inbound'];
  return { event: 'start', seq, start: { streamSid, callSid, accountSid: text(s.accountSid), tracks, customParameters, encoding, sampleRate } };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A media payload's bytes, or null when it is not valid base64 (never decoded leniently). */
export function decodePayload(payload: string): Uint8Array | null {
  if (!BASE64.test(payload)) return null;
  // A Buffer is a Uint8Array: no copy (Uint8Array.from would copy it element by element, 50 times a second per track).
  return Buffer.from(payload, 'base64');
}
