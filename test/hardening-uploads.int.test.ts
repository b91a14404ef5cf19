// What a hostile upload can make the server do: read files it was never sent, answer a limit with
// nothing, fall over on a chunked body, or spend hours of CPU on a few kilobytes.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioTooLongError, openAudio } from '../src/audio/input';
import { AUDIO_DIR } from './helpers/audio';
import { eventually, startTestServer, type TestServer } from './helpers/server';

const dir = mkdtempSync(join(tmpdir(), 'voxlog-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Encodes `args` with ffmpeg into `name` under the test directory. */
function ffmpeg(name: string, ...args: string[]): string {
  const out = join(dir, name);
  const p = Bun.spawnSync(['ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args, out]);
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return out;
}

const upload = (url: string, path: string, body: Blob | string, name = 'p.mp3') => {
  const f = new FormData();
  f.append('file', typeof body === 'string' ? new Blob([body]) : body, name);
  if (path === '/v1/audio/transcriptions') f.append('model', 'whisper-1');
  return fetch(`${url}${path}`, { method: 'POST', body: f });
};

/** A body sent chunked (no Content-Length): `mib` MiB of a multipart file field. */
function chunkedMultipart(mib: number): ReadableStream<Uint8Array> {
  const head = new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n');
  let sent = -1;
  return new ReadableStream({
    pull(c) {
      if (sent++ < 0) return c.enqueue(head);
      if (sent > mib) return c.close();
      c.enqueue(new Uint8Array(1024 * 1024));
    },
  });
}

/** Sends `text` as it is over TCP and returns what came back before the server closed or went quiet. */
async function rawRequest(port: number, text: string): Promise<string> {
  let got = '';
  const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data: (_s, d) => void (got += d.toString()) } });
  socket.write(text);
  await eventually(() => got.includes('\r\n\r\n') && got.includes('}'));
  socket.end();
  return got;
}

describe('media that points elsewhere', () => {
  let server: TestServer;
  let secret: string;
  beforeAll(async () => {
    server = await startTestServer();
    secret = ffmpeg('secret.mp3', '-f', 'lavfi', '-i', 'sine=f=440:d=3');
  });
  afterAll(() => server.dispose());

  const incoming = () => {
    const d = join(server.dataDir, 'jobs', '.incoming');
    return existsSync(d) ? readdirSync(d) : [];
  };
  const refused: [string, () => string, RegExp][] = [
    ['an HLS playlist naming a file: URL', () => `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3,\nfile://${secret}\n#EXT-X-ENDLIST\n`, /HLS playlist/],
    ['an HLS playlist naming another upload by a relative path', () => `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3,\n../secret.mp3\n#EXT-X-ENDLIST\n`, /HLS playlist/],
    ['an HLS playlist naming an http: URL', () => `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3,\nhttp://127.0.0.1:9/a.mp3\n#EXT-X-ENDLIST\n`, /HLS playlist/],
    ['an ffconcat list', () => `ffconcat version 1.0\nfile '${secret}'\n`, /ffconcat list/],
    ['a concat list reaching a file through subfile:', () => `ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:${secret}'\n`, /ffconcat list/],
    ['an SDP description (RTP over the network)', () => 'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 0\n', /SDP|not an audio file/],
  ];
  for (const [what, body, why] of refused) {
    for (const path of ['/api/v1/jobs', '/v1/audio/transcriptions']) {
      it(`refuses ${what} at ${path} with 415 naming why, leaving nothing behind`, async () => {
        const r = await upload(server.url, path, body());
        expect(r.status).toBe(415);
        const { error } = (await r.json()) as { error: { message: string } };
        expect(error.message).toMatch(why);
        expect(error.message).not.toContain(server.dataDir);
        expect(incoming()).toEqual([]);
        expect((server.db().query('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(0);
      });
    }
  }

  it('refuses an image (an image sequence demuxer) as not audio', async () => {
    const png = ffmpeg('frame.png', '-f', 'lavfi', '-i', 'color=c=red:s=16x16', '-frames:v', '1');
    const r = await upload(server.url, '/api/v1/jobs', Bun.file(png), 'img%03d.png');
    expect(r.status).toBe(415);
    expect(incoming()).toEqual([]);
  });

  it('still reads the containers people record in', async () => {
    for (const name of ['a.m4a', 'a.ogg', 'a.flac', 'a.webm', 'a.mp3']) {
      const file = ffmpeg(name, '-f', 'lavfi', '-i', 'sine=f=440:d=1');
      const r = await upload(server.url, '/api/v1/jobs', Bun.file(file), name);
      expect({ name, status: r.status }).toEqual({ name, status: 202 });
    }
  });
});

describe('bodies over a limit', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ VOXLOG_MAX_UPLOAD_BYTES: '2000000', VOXLOG_MAX_ATTEMPT_AUDIO_BYTES: '100000' })));
  afterAll(() => server.dispose());

  const alive = async () => expect((await fetch(`${server.url}/health`)).status).toBe(200);

  for (const [path, shape] of [
    ['/api/v1/jobs', (b: any) => b.error.message],
    ['/v1/audio/transcriptions', (b: any) => b.error.message],
    ['/v1/listen', (b: any) => b.err_msg],
  ] as const) {
    it(`answers a chunked upload over the limit at ${path} with a JSON 413 naming it, and keeps running`, async () => {
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: chunkedMultipart(6) });
        expect(r.status).toBe(413);
        expect(shape(await r.json())).toMatch(/2000000 bytes.*VOXLOG_MAX_UPLOAD_BYTES/);
      }
      await alive();
    });

    it(`answers an upload whose Content-Length is over the limit at ${path} with a JSON 413 naming it`, async () => {
      const r = await upload(server.url, path, new Blob([new Uint8Array(4_000_000)]), 'big.wav');
      expect(r.status).toBe(413);
      expect(shape(await r.json())).toMatch(/2000000 bytes \(VOXLOG_MAX_UPLOAD_BYTES\)/);
      await alive();
    });
  }

  it('bounds a spoken attempt by its own, smaller limit', async () => {
    const r = await upload(server.url, '/api/v1/attempts', new Blob([new Uint8Array(1_500_000)]), 'a.wav');
    expect(r.status).toBe(413);
    expect(((await r.json()) as any).error.message).toMatch(/100000 bytes \(VOXLOG_MAX_ATTEMPT_AUDIO_BYTES\)/);
  });

  it('refuses a JSON body over 4 MiB (413) and a chunked one where a length is needed (411)', async () => {
    const big = JSON.stringify({ items: [{ text: 'x'.repeat(5 * 1024 * 1024) }] });
    const r = await fetch(`${server.url}/api/v1/items/bulk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(r.status).toBe(413);
    expect(((await r.json()) as any).error.message).toMatch(/at most 4194304 bytes/);
    const chunked = await rawRequest(server.port, 'POST /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"text":"hello"}\r\n0\r\n\r\n');
    expect(chunked).toMatch(/^HTTP\/1.1 411/);
    expect(chunked).toContain('"code":"length_required"');
    await alive();
  });
});

describe('work one request can ask for', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ VOXLOG_MAX_JOB_AUDIO_S: '60', VOXLOG_MAX_QUEUED_JOBS: '2', VOXLOG_MAX_CONCURRENT_JOBS: '0' })));
  afterAll(() => server.dispose());

  it('refuses (413) a file whose container says it is longer than the job limit, from a few kilobytes of FLAC', async () => {
    const flac = ffmpeg('long.flac', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '600', '-c:a', 'flac');
    expect(Bun.file(flac).size).toBeLessThan(200_000);
    const r = await upload(server.url, '/api/v1/jobs', Bun.file(flac), 'long.flac');
    expect(r.status).toBe(413);
    const { error } = (await r.json()) as { error: { code: string; message: string } };
    expect(error).toMatchObject({ code: 'audio_too_long' });
    expect(error.message).toMatch(/600 s long; the most accepted is 60 s/);
  });

  it('caps the jobs one user may have waiting (429 naming the setting)', async () => {
    const wav = Bun.file(join(AUDIO_DIR, 'librispeech', '1089-134686-0000.wav'));
    for (let i = 0; i < 2; i++) expect((await upload(server.url, '/api/v1/jobs', wav, 'a.wav')).status).toBe(202);
    const r = await upload(server.url, '/api/v1/jobs', wav, 'a.wav');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeTruthy();
    expect(((await r.json()) as any).error).toMatchObject({ code: 'too_many_jobs', message: expect.stringMatching(/most one user may have is 2 \(VOXLOG_MAX_QUEUED_JOBS\)/) });
    await eventually(() => readdirSync(join(server.dataDir, 'jobs', '.incoming')).length === 0);
  });
});

describe('a file whose length only decoding tells', () => {
  it('stops reading it once it runs past the most accepted', async () => {
    // Written to a pipe, a FLAC file cannot go back to record its length.
    const path = join(dir, 'piped.flac');
    mkdirSync(dir, { recursive: true });
    const p = Bun.spawnSync(['ffmpeg', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '120', '-f', 'flac', 'pipe:1']);
    writeFileSync(path, p.stdout);
    const input = await openAudio(path, { maxDurationS: 30 });
    expect(input.durationS).toBeUndefined();
    let seconds = 0;
    const err = await (async () => {
      for await (const c of input.chunks()) seconds += c.length / input.sampleRate;
    })().catch((e) => e);
    expect(err).toBeInstanceOf(AudioTooLongError);
    expect(err.message).toMatch(/runs past 30 s/);
    expect(seconds).toBeLessThanOrEqual(30);
  });
});
