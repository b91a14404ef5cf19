import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { concat, loadClip, silence, STREAMING_MODEL } from './helpers/audio';
import { finals, ofType, startTestServer, stream, type TestServer } from './helpers/server';

let server: TestServer;
let twoSegments: string;
let oneSegment: string;
beforeAll(async () => {
  server = await startTestServer();
  const a = loadClip('synthetic-seen', 'seen_0002_awb.wav');
  const b = loadClip('synthetic-seen', 'seen_0005_awb.wav');
  const first = await stream(server.wsUrl({ language: 'en-US' }), concat([a.pcm16, silence(2), b.pcm16]));
  expect(finals(first.messages).length).toBe(2);
  twoSegments = ofType(first.messages, 'ready')[0]!.session_id;
  const second = await stream(server.wsUrl(), a.pcm16);
  oneSegment = ofType(second.messages, 'ready')[0]!.session_id;
});
afterAll(() => server.dispose());

const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
};

describe('GET /api/v1/sessions', () => {
  it('lists sessions newest first with what their close recorded', async () => {
    const { body } = await get('/api/v1/sessions');
    expect(body.items.map((s: any) => s.id)).toEqual([oneSegment, twoSegments]);
    const s = body.items[1];
    expect(s).toMatchObject({ model_id: STREAMING_MODEL, encoding: 'pcm16', sample_rate: 16000, segments: 2, close_reason: 'client_close' });
    expect(s.closed_at >= s.created_at).toBe(true);
    expect(s.audio_ms).toBeGreaterThan(4000);
    expect((await get('/api/v1/sessions?status=open')).body.total).toBe(0);
    expect((await get(`/api/v1/sessions?model_id=${STREAMING_MODEL}&limit=1&offset=1`)).body.items.map((x: any) => x.id)).toEqual([twoSegments]);
  });

  it('rejects bad filters with 400', async () => {
    for (const q of ['status=maybe', 'limit=9999', 'offset=x']) expect((await get(`/api/v1/sessions?${q}`)).status).toBe(400);
  });
});

describe('GET /api/v1/sessions/{id}', () => {
  it('returns the segments in order with word timings', async () => {
    const { body } = await get(`/api/v1/sessions/${twoSegments}`);
    expect(body.segments.map((s: any) => s.segment_seq)).toEqual([0, 1]);
    expect(body.segments[0].end_ms).toBeLessThanOrEqual(body.segments[1].start_ms + 320);
    expect(body.transcript).toBe(body.segments.map((s: any) => s.content).join(' '));
    expect(body.segments[1].words.length).toBeGreaterThan(0);
  });

  it('answers an unknown session with a JSON 404', async () => {
    const r = await get('/api/v1/sessions/nope');
    expect([r.status, r.body.error.code]).toEqual([404, 'not_found']);
    expect((await get('/api/v1/sessions/nope/events')).status).toBe(404);
  });

  it("serves the session's events in version order, from a version", async () => {
    const all = (await get(`/api/v1/sessions/${twoSegments}/events`)).body.events;
    expect(all[0]).toMatchObject({ type: 'SessionOpened', version: 1, schema_version: 4, data: { language: 'en-US', protocol: 'voxlog', recorded: false } });
    expect(all.at(-1).type).toBe('SessionClosed');
    const tail = (await get(`/api/v1/sessions/${twoSegments}/events?from_version=3&limit=2`)).body.events;
    expect(tail.map((e: any) => e.version)).toEqual([3, 4]);
  });
});

describe('GET /api/v1/events', () => {
  it('pages through the whole log by position without gaps', async () => {
    const positions: number[] = [];
    let after = 0;
    for (;;) {
      const { body } = await get(`/api/v1/events?after=${after}&limit=7`);
      if (body.events.length === 0) break;
      positions.push(...body.events.map((e: any) => e.position));
      after = body.next_after;
    }
    expect(positions).toEqual(positions.map((_, i) => i + 1));
    const finalsOnly = (await get('/api/v1/events?type=SegmentFinalized')).body.events;
    expect(finalsOnly.length).toBe(3);
  });

  it('rejects an unknown type and a negative position', async () => {
    const r = await get('/api/v1/events?type=Nope');
    expect([r.status, r.body.error.code]).toEqual([400, 'validation_failed']);
    expect(r.body.error.message).toContain('SegmentFinalized');
    expect((await get('/api/v1/events?after=-1')).status).toBe(400);
  });
});

describe('GET /api/v1/events/stream', () => {
  it('delivers the backlog after a position, then new events as they commit, in order', async () => {
    const start = (await get('/api/v1/events?after=0&limit=5000')).body.next_after;
    const ac = new AbortController();
    const res = await fetch(`${server.url}/api/v1/events/stream?after=${start - 2}`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const live = stream(server.wsUrl(), loadClip('synthetic-seen', 'seen_0008_awb.wav').pcm16);
    const seen: { id: number; type: string }[] = [];
    let buffer = '';
    while (!seen.some((e) => e.type === 'SessionClosed')) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += new TextDecoder().decode(value);
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop()!;
      for (const b of blocks) {
        const id = /^id: (\d+)$/m.exec(b)?.[1];
        const type = /^event: (\w+)$/m.exec(b)?.[1];
        if (id && type) seen.push({ id: Number(id), type });
      }
    }
    ac.abort();
    await live;
    expect(seen.map((e) => e.id)).toEqual(seen.map((_, i) => start - 1 + i));
    expect(seen.map((e) => e.type)).toContain('SegmentFinalized');
  });
});

describe('GET /api/v1/stats/transcription', () => {
  it('counts sessions, finals and audio per model, with latency percentiles', async () => {
    const { body } = await get('/api/v1/stats/transcription');
    const m = body.models.find((x: any) => x.model_id === STREAMING_MODEL);
    const sessions = (await get('/api/v1/sessions?limit=500')).body;
    const history = (await get(`/api/v1/history?model_id=${STREAMING_MODEL}`)).body;
    expect(m.sessions).toBe(sessions.total);
    expect(m.finals).toBe(history.total);
    expect(m.audio_seconds).toBeCloseTo(sessions.items.reduce((n: number, s: any) => n + s.audio_ms, 0) / 1000, 3);
    expect(m.latency_p50_ms).toBeLessThanOrEqual(m.latency_p95_ms);
  });
});
