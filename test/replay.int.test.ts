import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { concat, loadClip, silence } from './helpers/audio';
import { ofType, startTestServer, stream, type TestServer } from './helpers/server';

let server: TestServer;
let sessionId: string;
let dbPath: string;
beforeAll(async () => {
  server = await startTestServer();
  dbPath = join(server.dataDir, 'voxlog.sqlite');
  const clip = loadClip('synthetic-seen', 'seen_0010_rms.wav');
  const out = await stream(server.wsUrl(), concat([clip.pcm16, silence(2), clip.pcm16]));
  sessionId = ofType(out.messages, 'ready')[0]!.session_id;
});
afterAll(() => server.dispose());

const replay = async (...args: string[]) => {
  const p = Bun.spawn(['bun', 'run', 'replay', '--db', dbPath, ...args], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
};

describe('bun run replay', () => {
  it('rebuilds every projection while the server runs and finds them equal', async () => {
    const r = await replay();
    expect(r.code).toBe(0);
    expect(r.out).toContain('projections match the log');
    for (const t of ['history', 'sessions', 'segments', 'transcription_stats']) expect(r.out).toMatch(new RegExp(`${t}\\s+\\d+ rows  same`));
  });

  it("prints a session's timeline, and the log's by position range as JSON lines", async () => {
    const r = await replay('--session', sessionId);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toContain('SessionOpened');
    expect(lines.at(-1)).toContain('SessionClosed');
    expect(lines.filter((l) => l.includes('SegmentFinalized')).length).toBe(2);
    const json = (await replay('--timeline', '--from', '2', '--to', '4', '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.map((e) => e.position)).toEqual([2, 3, 4]);
    const bad = await replay('--timeline', '--from', 'yesterday-ish');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('neither a log position nor a time');
  });

  it('exits 1 and shows both rows when a live table was changed behind the log', async () => {
    // The running server holds the file alone: the change goes through its own connection.
    server.serverDb.exec("UPDATE segments SET content = 'tampered' WHERE segment_seq = 1");
    const r = await replay('--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    const segments = report.tables.find((t: { table: string }) => t.table === 'segments');
    expect(segments.onlyInLive.join()).toContain('tampered');
    expect(segments.onlyInRebuild.join()).not.toContain('tampered');
  });
});
