// The adapters' pure parts: Wyoming's framing across any TCP chunking, Twilio/Telnyx frame reading,
// Deepgram's query translation and close reasons, and the webhook signature.
import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { parseListenQuery } from '../src/protocols/deepgram/query';
import { closeReason } from '../src/protocols/deepgram/results';
import { readable } from '../src/protocols/text';
import { decodePayload, readFrame } from '../src/protocols/twilio/frames';
import { signature } from '../src/protocols/twilio/webhook';
import { encodeEvent, WyomingFormatError, WyomingReader } from '../src/protocols/wyoming/codec';
import { mergeCatalog } from '../models/catalog';

describe('Wyoming framing', () => {
  const events = fc.array(
    fc.record({ type: fc.constantFrom('audio-chunk', 'transcribe', 'describe'), data: fc.dictionary(fc.string({ maxLength: 5 }), fc.integer()), payload: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }) }),
    { minLength: 1, maxLength: 6 },
  );

  it('reads the same events however the byte stream is cut into chunks', () => {
    fc.assert(
      fc.property(events, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), (sent, cuts) => {
        const bytes = Buffer.concat(sent.map((e) => encodeEvent(e.type, e.data, e.payload)));
        const reader = new WyomingReader(1024);
        const got = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          got.push(...reader.push(new Uint8Array(bytes.subarray(at, at + n))));
          at += n;
        }
        expect(got.map((e) => [e.type, e.data, e.payload && [...e.payload]])).toEqual(sent.map((e) => [e.type, e.data, e.payload && [...e.payload]]));
      }),
    );
  });

  it('merges data given in the header with the data section, and refuses malformed headers', () => {
    const reader = new WyomingReader(10);
    const line = (h: object) => new TextEncoder().encode(`${JSON.stringify(h)}\n`);
    expect(reader.push(line({ type: 'transcribe', data: { language: 'en' } }))).toEqual([{ type: 'transcribe', data: { language: 'en' } }]);
    for (const bad of ['not json\n', '{"data": {}}\n', '{"type": "x", "payload_length": 11}\n', '{"type": "x", "data_length": 1.5}\n', '[1]\n']) {
      expect(() => new WyomingReader(10).push(new TextEncoder().encode(bad))).toThrow(WyomingFormatError);
    }
    expect(() => new WyomingReader(10).push(new Uint8Array(70_000).fill(65))).toThrow('no newline');
  });
});

describe('Twilio and Telnyx frames', () => {
  it("reads Twilio's start and Telnyx's, refusing formats voxlog cannot decode", () => {
    const twilio = readFrame({ event: 'start', sequenceNumber: '1', start: { streamSid: 'MZ1', callSid: 'CA1', tracks: ['inbound', 'outbound'], customParameters: { a: 'b', n: 3 }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } });
    expect(twilio).toMatchObject({ event: 'start', seq: 1, start: { streamSid: 'MZ1', callSid: 'CA1', tracks: ['inbound', 'outbound'], customParameters: { a: 'b' }, encoding: 'mulaw', sampleRate: 8000 } });
    const telnyx = readFrame({ event: 'start', sequence_number: '2', stream_id: 'S', start: { call_control_id: 'v3:x', media_format: { encoding: 'PCMA', sample_rate: 8000 } } });
    expect(telnyx).toMatchObject({ start: { streamSid: 'S', callSid: 'v3:x', encoding: 'alaw' } });
    expect(readFrame({ event: 'start', start: { streamSid: 'S', callSid: 'C', mediaFormat: { encoding: 'audio/x-l16' } } })).toContain('not supported');
    expect(readFrame({ event: 'start', start: {} })).toContain('callSid');
    expect(readFrame('garbage')).toContain('JSON');
    expect(readFrame({ media: {} })).toBe('a frame has no "event"');
    expect(readFrame({ event: 'media', media: { track: 'outbound', chunk: '7', payload: 'AAA=' } })).toEqual({ event: 'media', seq: null, track: 'outbound', chunk: 7, payload: 'AAA=' });
  });

  it('decodes only strict base64', () => {
    expect([...decodePayload('/wD/AA==')!]).toEqual([255, 0, 255, 0]);
    for (const bad of ['!!', 'AAA', 'AA=A', 'AAAA ']) expect(decodePayload(bad)).toBeNull();
  });

  it('signs the webhook over timestamp and body, so a changed body or time fails', () => {
    const s = signature('k', 1700000000, '{"a":1}');
    expect(s).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(signature('k', 1700000001, '{"a":1}')).not.toBe(s);
    expect(signature('k', 1700000000, '{"a":2}')).not.toBe(s);
  });
});

describe('Deepgram query', () => {
  const catalog = mergeCatalog([]);
  it('maps encodings, unknown model names to the default, and endpointing exactly to endpointing_ms', () => {
    const r = parseListenQuery({ encoding: 'mulaw', model: 'nova-3', endpointing: '300', interim_results: 'true', punctuate: 'true', utterance_end_ms: '1000' }, catalog);
    expect(r).toEqual({
      native: { encoding: 'mulaw', sample_rate: '8000', model: undefined, language: undefined, endpointing_ms: '300', utterance_end_ms: '1000', interim_ms: undefined, format: 'punctuate' },
      options: { interim: true, endpointing: 300, utteranceEndMs: 1000, vadEvents: false },
    });
    // Deepgram's default is 10 ms; `false` leaves segments to the model's own rule (no detector).
    expect(parseListenQuery({}, catalog)).toMatchObject({ native: { endpointing_ms: '10', utterance_end_ms: '0' } });
    expect(parseListenQuery({ model: 'gigaspeech-zipformer-3.3M-en', language: 'multi', endpointing: 'false' }, catalog)).toMatchObject({ native: { model: 'gigaspeech-zipformer-3.3M-en', language: undefined, interim_ms: '0', vad: 'false' }, options: { endpointing: false } });
    for (const bad of [{ encoding: 'opus' }, { channels: '2' }, { interim_results: 'yes' }, { endpointing: '-1' }, { utterance_end_ms: '500' }, { smart_format: 'yes' }]) expect(parseListenQuery(bad, catalog)).toHaveProperty('error');
  });

  it('writes text as Deepgram documents it: nothing by default, smart_format both parts, punctuate and numerals each their own', () => {
    const format = (q: Record<string, string>) => (parseListenQuery(q, catalog) as { native: Record<string, string | undefined> }).native.format;
    expect(format({})).toBe('false');
    expect(format({ smart_format: 'true' })).toBe('true');
    expect(format({ punctuate: 'true' })).toBe('punctuate');
    expect(format({ numerals: 'true' })).toBe('numerals');
    expect(format({ punctuate: 'true', numerals: 'true' })).toBe('true');
    expect(format({ smart_format: 'false', punctuate: 'false' })).toBe('false');
  });

  it("gives Deepgram's close reasons", () => {
    expect(closeReason(1000, 'client_close', undefined)).toBe('');
    expect(closeReason(1009, 'frame_too_large', 'audio frame too big')).toBe('DATA-0000: audio frame too big');
    expect(closeReason(1000, 'idle_timeout', undefined)).toMatch(/^NET-0001: /);
    expect(closeReason(1011, 'log_write_failed', undefined)).toBe('NET-0000: log_write_failed');
  });

  it('lowers transcripts written only in capitals and keeps cased ones', () => {
    expect(readable('HELLO THERE')).toBe('hello there');
    expect(readable('Hello there')).toBe('Hello there');
  });
});
