import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SQL } from 'bun';
import { concat, loadClip, silence } from './helpers/audio';
import { freshDatabase } from '../scripts/postgres';
import { eventually, startTestServer, stream, type TestServer } from './helpers/server';

/** /health on a node of a PostgreSQL log tells the truth about PostgreSQL, not about its local replica. */
describe('a node whose PostgreSQL log stops taking writes', () => {
  let server: TestServer;
  let sql: SQL;
  beforeAll(async () => {
    const url = await freshDatabase();
    server = await startTestServer({ VOXLOG_DATABASE_URL: url, VOXLOG_NODE_ID: 'health-node' });
    sql = new SQL(url, { max: 1 });
  });
  afterAll(async () => {
    await sql.close();
    await server.dispose();
  });
  const health = async () => {
    const r = await fetch(`${server.url}/health`);
    return { status: r.status, body: (await r.json()) as { status: string; event_log: string; log_store: string; node: string } };
  };

  it('answers 503 with the reason while appends fail, then 200 once PostgreSQL takes them again', async () => {
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', log_store: 'postgresql', node: 'health-node' } });
    // Writes to the log and to the probe's table are refused (a revoked grant or a full disk looks the same).
    await sql`ALTER TABLE events RENAME TO events_away`;
    await sql`ALTER TABLE health_probe RENAME TO health_probe_away`;
    const clip = loadClip('librispeech', '0.wav');
    const refused = await stream(server.wsUrl(), concat([clip.pcm16, silence(1)]));
    expect(refused.messages.some((m) => m.type === 'error' && m.code === 'log_write_failed')).toBe(true);
    const down = await eventually(async () => {
      const h = await health();
      return h.status === 503 && h;
    });
    expect(down.body.event_log).toMatch(/events|PostgreSQL/);

    await sql`ALTER TABLE events_away RENAME TO events`;
    await sql`ALTER TABLE health_probe_away RENAME TO health_probe`;
    const up = await eventually(async () => {
      const h = await health();
      return h.status === 200 && h;
    }, 15_000);
    expect(up.body.event_log).toBe('ok');
    const again = await stream(server.wsUrl(), concat([clip.pcm16, silence(1)]));
    expect(again.messages.some((m) => m.type === 'final')).toBe(true);
  });
});
