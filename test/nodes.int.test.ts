import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIO_DIR, concat, loadClip, silence } from './helpers/audio';
import { jsonClient } from './helpers/http';
import { longRecording } from './helpers/long-recording';
import { startNode, until, type NodeProcess, type WireEvent } from './helpers/node-process';
import { freshDatabase } from '../scripts/postgres';
import { finals, ofType, openSocket, stream } from './helpers/server';

/** Reads a node's SSE tail from `after` until aborted: the positions it announced, in order. */
function tail(url: string, after: number) {
  const abort = new AbortController();
  const positions: number[] = [];
  const reading = (async () => {
    const res = await fetch(`${url}/api/v1/events/stream?after=${after}`, { signal: abort.signal });
    let buffer = '';
    try {
      for await (const chunk of res.body!) {
        buffer += new TextDecoder().decode(chunk);
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop()!;
        for (const b of blocks) {
          const id = /^id: (\d+)$/m.exec(b)?.[1];
          if (id) positions.push(Number(id));
        }
      }
    } catch {
      // aborted
    }
  })();
  return { positions, stop: async () => (abort.abort(), await reading) };
}

const form = (wav: Uint8Array<ArrayBuffer>, name: string, model?: string) => {
  const f = new FormData();
  f.append('file', new Blob([wav]), name);
  if (model) f.append('model', model);
  return f;
};
/** Long jobs run on the real model: the fixture would finish them before a test could act. */
const REAL = 'gigaspeech-zipformer-3.3M-en';

const LEASE_MS = 1_500;

describe('two voxlog processes on one PostgreSQL log', () => {
  const filesDir = mkdtempSync(join(tmpdir(), 'voxlog-files-'));
  let a: NodeProcess;
  let b: NodeProcess;

  let url: string;
  const env = { VOXLOG_NODE_LEASE_MS: String(LEASE_MS), VOXLOG_MAX_CONCURRENT_JOBS: '1' };
  beforeAll(async () => {
    url = await freshDatabase();
    [a, b] = await Promise.all([startNode('node-a', url, filesDir, env), startNode('node-b', url, filesDir, env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(filesDir, { recursive: true, force: true });
  });

  it("shows a session streamed to node A in node B's views and SSE tail, with no gap or repeat; it resumes on node B", async () => {
    const clip = loadClip('librispeech', '0.wav');
    const from = (await b.events()).at(-1)?.position ?? 0;
    const sse = tail(b.url, from);
    let last = 0;
    try {
    const first = await stream(`${a.url.replace('http', 'ws')}/ws/transcribe`, concat([clip.pcm16, silence(1)]));
    const id = ofType(first.messages, 'ready')[0]!.session_id;
    expect(finals(first.messages).length).toBeGreaterThan(0);

    // Node B's REST view: the same session, the same finals.
    const seen = await until(async () => {
      const r = await jsonClient(b.url)('GET', `/api/v1/sessions/${id}`);
      return r.status === 200 && r.body.closed_at !== null && r.body;
    });
    expect(seen).toMatchObject({ id, close_reason: 'client_close' });
    expect((seen as { segments: { content: string }[] }).segments.map((g) => g.content)).toEqual(finals(first.messages).map((f) => f.text));

    // Resume on B: it appends where A's log ended.
    const resumed = await stream(`${b.url.replace('http', 'ws')}/ws/transcribe?session_id=${id}`, concat([clip.pcm16, silence(1)]));
    expect(ofType(resumed.messages, 'ready')[0]).toMatchObject({ session_id: id, resumed: true });
    const onA = await until(async () => {
      const events = (await a.events()).filter((e) => e.stream_id === `session-${id}`);
      return events.at(-1)?.type === 'SessionClosed' && events.some((e) => e.type === 'SessionResumed') && events;
    });
    expect(onA).toBeTruthy();
    const nodes = (onA as WireEvent[]).filter((e) => e.type === 'SessionOpened' || e.type === 'SessionResumed').map((e) => e.metadata.node);
    expect(nodes).toEqual(['node-a', 'node-b']);

    // B's tail carried every event of the log since it opened, each once, in order.
    last = (await a.events()).at(-1)!.position;
    await until(() => sse.positions.at(-1) === last);
    } finally {
      await sse.stop();
    }
    expect(sse.positions).toEqual(Array.from({ length: last - from }, (_, i) => from + 1 + i));
  });

  it("makes a dictation item's speech once, on one node, and serves it from either", async () => {
    const created = await jsonClient(a.url)('POST', '/api/v1/items', { locale: 'en-US', text: 'Two nodes share one queue of speech.', voice: 'flite:slt' });
    expect(created.status).toBe(202);
    const id = created.body.item?.id ?? created.body.id;
    const ready = await until(async () => {
      const r = await jsonClient(b.url)('GET', `/api/v1/items/${id}/tts-status`);
      return r.body.status === 'ready' && r.body;
    });
    expect(ready).toMatchObject({ status: 'ready' });
    const tts = (await b.events()).filter((e) => e.type === 'TtsClaimed' || e.type === 'TtsCompleted').map((e) => e.type);
    expect(tts).toEqual(['TtsClaimed', 'TtsCompleted']);
    for (const node of [a, b]) {
      const audio = await fetch(`${node.url}/api/v1/items/${id}/audio`);
      expect(audio.status).toBe(200);
      expect((await audio.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it('stops a job on the node running it when another node deletes it', async () => {
    const long = longRecording(3);
    const { body } = await jsonClient(a.url)('POST', '/api/v1/jobs', form(long.wav, 'long.wav', REAL));
    await until(async () => (await a.events('JobStarted')).some((e) => e.stream_id === `job-${body.id}`));
    const holder = ((await a.events('JobClaimed')).findLast((e) => e.stream_id === `job-${body.id}`)!.data.node) as string;
    const [running, other] = holder === 'node-a' ? [a, b] : [b, a];
    expect((await fetch(`${other.url}/api/v1/jobs/${body.id}`, { method: 'DELETE' })).status).toBe(204);
    // The holder heard the deletion through the log and stopped the run (left alone, it would run to its end).
    const said = await until(() => running.output().includes(`job ${body.id}: run stopped before it finished`));
    expect(said).toBe(true);
    expect(running.output()).not.toContain(`job ${body.id} run failed`);
  });

  it("restarts a node without closing the other node's live session", async () => {
    const live = openSocket(`${b.url.replace('http', 'ws')}/ws/transcribe`);
    const ready = await live.next('ready');
    live.ws.send(loadClip('librispeech', '0.wav').pcm16.slice(0, 32_000));
    await until(async () => (await a.events()).some((e) => e.stream_id === `session-${ready.session_id}`));
    await a.stop();
    a = await startNode('node-a', url, filesDir, env);
    expect(a.output()).toContain('listening');
    // A started, caught up from the log and closed what it had left open: not B's session.
    // Nor later: B's heartbeat keeps coming, so A's lost-node sweep (every third of the lease) leaves it alone.
    await Bun.sleep(2 * LEASE_MS);
    const onA = (await a.events()).filter((e) => e.stream_id === `session-${ready.session_id}`);
    expect(onA.map((e) => e.type)).not.toContain('SessionClosed');
    live.ws.send(JSON.stringify({ type: 'close' }));
    const closed = await live.closed;
    expect(closed.code).toBe(1000);
    const close = await until(async () => (await a.events('SessionClosed')).find((e) => e.stream_id === `session-${ready.session_id}`));
    expect(close?.data).toMatchObject({ reason: 'client_close' });
  });

  it('runs each job on exactly one node; a node killed mid-job has the job taken over once its lease lapses, and its open session closed and resumable on the other', async () => {
    const jfk = Bun.file(join(AUDIO_DIR, 'jfk', 'jfk.wav'));
    const quick = await Promise.all([1, 2, 3, 4].map(async (n) => (await jsonClient(n % 2 ? a.url : b.url)('POST', '/api/v1/jobs', form(new Uint8Array(await jfk.arrayBuffer()), `jfk-${n}.wav`))).body.id as string));
    for (const id of quick) {
      const job = await until(async () => {
        const r = await jsonClient(a.url)('GET', `/api/v1/jobs/${id}`);
        return r.body.status === 'completed' && r.body;
      }, 60_000);
      expect(job).toMatchObject({ status: 'completed', attempts: 1 });
      const events = (await b.events()).filter((e) => e.stream_id === `job-${id}`);
      const claims = events.filter((e) => e.type === 'JobClaimed' && !e.data.renewal);
      expect(claims).toHaveLength(1);
      expect(events.filter((e) => e.type === 'JobStarted')).toHaveLength(1);
    }

    // A long job (the real model on a minute of speech): kill -9 whichever node claims it.
    const long = longRecording(1);
    const { body } = await jsonClient(a.url)('POST', '/api/v1/jobs', form(long.wav, 'talk.wav', REAL));
    const started = await until(async () => (await a.events('JobStarted')).find((e) => e.stream_id === `job-${body.id}`));
    expect(started).toBeTruthy();
    const holder = ((await a.events('JobClaimed')).findLast((e) => e.stream_id === `job-${body.id}`)!.data.node) as string;
    const [victim, survivor] = holder === 'node-a' ? [a, b] : [b, a];
    // A live session on the victim too: it dies open.
    const live = openSocket(`${victim.url.replace('http', 'ws')}/ws/transcribe`);
    const ready = await live.next('ready');
    live.ws.send(loadClip('librispeech', '0.wav').pcm16.slice(0, 32_000));
    await until(async () => (await survivor.events()).some((e) => e.stream_id === `session-${ready.session_id}`));
    victim.proc.kill('SIGKILL');
    await victim.proc.exited;

    // The survivor closes the lost node's session once its health row is older than the lease; it resumes there.
    const lost = await until(async () => (await survivor.events()).find((e) => e.stream_id === `session-${ready.session_id}` && e.type === 'SessionClosed'));
    expect(lost?.data).toMatchObject({ reason: 'node_lost' });
    const resumed = await stream(`${survivor.url.replace('http', 'ws')}/ws/transcribe?session_id=${ready.session_id}`, silence(0.5));
    expect(ofType(resumed.messages, 'ready')[0]).toMatchObject({ session_id: ready.session_id, resumed: true });

    const done = await until(async () => {
      const r = await jsonClient(survivor.url)('GET', `/api/v1/jobs/${body.id}`);
      return r.body.status === 'completed' && r.body;
    }, 90_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    const events = (await survivor.events()).filter((e) => e.stream_id === `job-${body.id}`);
    const claims = events.filter((e) => e.type === 'JobClaimed' && !e.data.renewal).map((e) => e.data.node);
    expect(claims).toEqual([holder, survivor.name]);
    expect(events.find((e) => e.type === 'JobRetried')!.data).toMatchObject({ cause: 'interrupted', message: `node ${holder} stopped renewing its claim` });
    // The survivor took over only after the lease lapsed (positions and times are the log's own).
    const lastRenewal = events.filter((e) => e.type === 'JobClaimed' && e.data.node === holder).at(-1)!;
    const takeover = events.filter((e) => e.type === 'JobClaimed').at(-1)!;
    expect(Date.parse(takeover.created_at) - Date.parse(lastRenewal.created_at)).toBeGreaterThanOrEqual(LEASE_MS);
  }, 180_000);
});
