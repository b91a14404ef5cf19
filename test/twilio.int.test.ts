// Twilio Media Streams at /v1/twilio, driven with the frame sequence Twilio sends for a <Stream>
// with both tracks: connected, start, media (base64 μ-law, 20 ms, interleaved tracks), stop.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { wordErrorRate } from '../src/scoring/wer';
import { signature } from '../src/protocols/twilio/webhook';
import { nativeTranscript, startAuthedServer, telephonyMulaw, type AuthedServer } from './helpers/adapters';
import { eventually } from './helpers/server';

const SECRET = 'webhook-secret-for-tests-0123456789';
type Delivery = { body: any; attempt: string; signed: boolean };
const deliveries: Delivery[] = [];
let refusedFirst = false;
const receiver = Bun.serve({
  port: 0,
  async fetch(req) {
    const raw = await req.text();
    const header = req.headers.get('x-voxlog-signature') ?? '';
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    // The first delivery is refused with a 503, as a receiver restarting would: it must come again.
    if (!refusedFirst) return (refusedFirst = true), new Response('busy', { status: 503 });
    deliveries.push({ body: JSON.parse(raw), attempt: req.headers.get('x-voxlog-attempt') ?? '', signed: header === signature(SECRET, t, raw) });
    return new Response('ok');
  },
});

let s: AuthedServer;
beforeAll(async () => {
  s = await startAuthedServer({ VOXLOG_TWILIO_WEBHOOK_URL: `http://127.0.0.1:${receiver.port}/hook`, VOXLOG_TWILIO_WEBHOOK_SECRET: SECRET });
});
afterAll(async () => {
  await s.server.dispose();
  receiver.stop(true);
});

const wsUrl = () => `${s.server.url.replace('http', 'ws')}/v1/twilio`;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** A Twilio stream: open, then send `frames` (objects as Twilio's JSON), resolving with the close. */
async function call(frames: readonly (object | string)[]) {
  const ws = new WebSocket(wsUrl());
  const closed = new Promise<{ code: number; reason: string }>((r) => (ws.onclose = (e) => r({ code: e.code, reason: e.reason })));
  await new Promise((r) => (ws.onopen = r));
  for (const f of frames) ws.send(typeof f === 'string' ? f : JSON.stringify(f));
  return { ws, closed };
}

/** The frames Twilio sends for a two-track call: inbound and outbound 20 ms frames interleaved, sequence numbered. */
function twilioCall(inbound: Uint8Array, outbound: Uint8Array, o: { callSid: string; token?: string; mangle?: (f: any, i: number) => any }) {
  const streamSid = `MZ${o.callSid.slice(2)}`;
  let seq = 0;
  const frames: any[] = [
    { event: 'connected', protocol: 'Call', version: '1.0.0' },
    {
      event: 'start',
      sequenceNumber: String(++seq),
      streamSid,
      start: { accountSid: 'AC0001', streamSid, callSid: o.callSid, tracks: ['inbound', 'outbound'], customParameters: { ...(o.token ? { token: o.token } : {}), customer: '42' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
    },
  ];
  const chunks = Math.ceil(Math.max(inbound.length, outbound.length) / 160);
  for (let c = 0; c < chunks; c++) {
    for (const [track, audio] of [['inbound', inbound], ['outbound', outbound]] as const) {
      const piece = audio.subarray(c * 160, c * 160 + 160);
      if (piece.length === 0) continue;
      frames.push({ event: 'media', sequenceNumber: String(++seq), streamSid, media: { track, chunk: String(c + 1), timestamp: String(c * 20), payload: b64(piece) } });
    }
  }
  frames.push({ event: 'mark', sequenceNumber: String(++seq), streamSid, mark: { name: 'greeting' } });
  frames.push({ event: 'stop', sequenceNumber: String(++seq), streamSid, stop: { accountSid: 'AC0001', callSid: o.callSid } });
  return o.mangle ? frames.map(o.mangle).filter(Boolean) : frames;
}

describe('Twilio Media Streams', () => {
  it('transcribes each track of a call as its own session, as the native protocol does, with finals on the signed, retried webhook and the SSE feed', async () => {
    const caller = telephonyMulaw('demo-congrats');
    const agent = telephonyMulaw('basic-pbx-ivr-main');
    const { closed } = await call(twilioCall(caller.bytes, agent.bytes, { callSid: 'CA0001', token: s.key }));
    expect((await closed).code).toBe(1000);
    const db = s.server.db();
    const listed = await (await fetch(`${s.server.url}/api/v1/sessions?protocol=twilio`, { headers: { authorization: `Token ${s.key}` } })).json();
    const sessions = listed.items as { id: string; user_id: string }[];
    expect(sessions).toHaveLength(2);
    for (const row of sessions) expect(row.user_id).toBe(s.userId);
    const transcripts = new Map<string, string>();
    for (const { id } of sessions) {
      const opened = db.query(`SELECT metadata FROM events WHERE stream_id = ? AND type = 'SessionOpened'`).get(`session-${id}`) as { metadata: string };
      const meta = JSON.parse(opened.metadata);
      expect(meta).toMatchObject({ protocol: 'twilio', call_sid: 'CA0001', stream_sid: 'MZ0001' });
      const text = (db.query(`SELECT content FROM segments WHERE session_id = ? ORDER BY segment_seq`).all(id) as { content: string }[]).map((r) => r.content).join(' ');
      transcripts.set(meta.track, text);
    }
    for (const [track, audio] of [['inbound', caller], ['outbound', agent]] as const) {
      expect(transcripts.get(track)).toBe(await nativeTranscript(s.server, s.key, new Uint8Array(audio.bytes), { encoding: 'mulaw', sample_rate: '8000' }));
      expect(wordErrorRate(audio.reference, transcripts.get(track)!).rate).toBeLessThan(0.3); // measured 0.095 (inbound) and 0.203 (outbound), as native
      expect(transcripts.get(track)).toMatch(/[a-z]/); // written, as the native protocol writes finals by default
    }
    // Every final reached the webhook, signed, in order per track; the refused first one came again.
    await eventually(() => deliveries.map((d) => d.body.text).join(' ').split(' ').length >= [...transcripts.values()].join(' ').split(' ').length && deliveries);
    expect(deliveries.every((d) => d.signed)).toBe(true);
    expect(deliveries[0]!.attempt).toBe('2');
    for (const track of ['inbound', 'outbound']) {
      const mine = deliveries.filter((d) => d.body.track === track).map((d) => d.body);
      expect(mine.map((d) => d.text).join(' ')).toBe(transcripts.get(track)!);
      expect(mine.map((d) => d.segment)).toEqual(mine.map((_, i) => i));
      expect(mine[0]).toMatchObject({ type: 'transcript', call_sid: 'CA0001', stream_sid: 'MZ0001', custom_parameters: { customer: '42' } });
      // The key rode in as a custom parameter; it is not passed on.
      expect(mine[0].custom_parameters).toEqual({ customer: '42' });
    }
    // The SSE feed carries the same finals, with the call in each event's metadata.
    const feed = await fetch(`${s.server.url}/api/v1/events/stream?type=SegmentFinalized`, { headers: { authorization: `Token ${s.key}` }, signal: AbortSignal.timeout(5000) });
    const reader = feed.body!.getReader();
    let text = '';
    while ((text.match(/"call_sid":"CA0001"/g) ?? []).length < deliveries.length) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  }, 120_000);

  it('drops frames with bad base64, out of order or a repeated chunk and keeps the call; ends a stream whose media comes before start', async () => {
    const caller = telephonyMulaw('demo-congrats');
    const silent = new Uint8Array(0);
    const mangled = twilioCall(caller.bytes, silent, {
      callSid: 'CA0002',
      token: s.key,
      mangle: (f, i) => (i === 10 ? { ...f, media: { ...f.media, payload: '!!not base64!!' } } : i === 20 ? { ...f, sequenceNumber: '3' } : i === 30 ? { ...f, media: { ...f.media, chunk: '2' } } : f),
    });
    const { closed } = await call(mangled);
    expect((await closed).code).toBe(1000);
    const metrics = await (await fetch(`${s.server.url}/metrics`, { headers: { authorization: `Bearer ${s.admin}` } })).text();
    expect(metrics).toMatch(/voxlog_rejected_total\{reason="twilio_bad_payload"\} 1/);
    expect(metrics).toMatch(/voxlog_rejected_total\{reason="twilio_out_of_order"\} 1/);
    expect(metrics).toMatch(/voxlog_rejected_total\{reason="twilio_duplicate_chunk"\} 1/);
    const id = (s.server.db().query(`SELECT id FROM sessions WHERE protocol = 'twilio' ORDER BY position DESC`).get() as { id: string }).id;
    const text = (s.server.db().query(`SELECT group_concat(content, ' ') AS t FROM segments WHERE session_id = ?`).get(id) as { t: string }).t;
    expect(wordErrorRate(caller.reference, text).rate).toBeLessThan(0.35);

    const early = await call([{ event: 'media', sequenceNumber: '1', media: { track: 'inbound', chunk: '1', payload: b64(new Uint8Array(160)) } }]);
    expect(await early.closed).toMatchObject({ code: 1008, reason: expect.stringContaining('media before start') });
    const garbage = await call(['not json']);
    expect((await garbage.closed).code).toBe(1007);
  }, 120_000);

  it("reads Telnyx's frames (snake_case ids, PCMU media_format) with the key in ?token=", async () => {
    const caller = telephonyMulaw('demo-congrats');
    const ws = new WebSocket(`${wsUrl()}?token=${s.key}`);
    const closed = new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
    await new Promise((r) => (ws.onopen = r));
    ws.send(JSON.stringify({ event: 'connected', version: '1.0.0' }));
    ws.send(JSON.stringify({ event: 'start', sequence_number: '1', stream_id: 'tx-1', start: { call_control_id: 'v3:call-1', media_format: { encoding: 'PCMU', sample_rate: 8000, channels: 1 } } }));
    for (let c = 0; c * 160 < caller.bytes.length; c++) {
      ws.send(JSON.stringify({ event: 'media', sequence_number: String(c + 2), stream_id: 'tx-1', media: { track: 'inbound', chunk: String(c + 1), timestamp: String(c * 20), payload: b64(caller.bytes.subarray(c * 160, c * 160 + 160)) } }));
    }
    ws.send(JSON.stringify({ event: 'stop', sequence_number: '100000', stream_id: 'tx-1' }));
    expect(await closed).toBe(1000);
    const row = s.server.db().query(`SELECT e.metadata FROM events e WHERE e.type = 'SessionOpened' AND e.metadata LIKE '%v3:call-1%'`).get() as { metadata: string };
    expect(JSON.parse(row.metadata)).toMatchObject({ protocol: 'twilio', call_sid: 'v3:call-1', stream_sid: 'tx-1', track: 'inbound', user_id: s.userId });
  });

  it('refuses a stream with no credential when auth is on', async () => {
    const { closed } = await call(twilioCall(new Uint8Array(1600), new Uint8Array(0), { callSid: 'CA0003' }).slice(0, 3));
    expect(await closed).toMatchObject({ code: 1008, reason: expect.stringContaining('unauthorized') });
  });
});
