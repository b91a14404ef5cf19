import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';

describe('bun run start with bad configuration', () => {
  it('exits 2 and names every bad variable, starting nothing', async () => {
    const p = Bun.spawn(['bun', 'src/main.ts'], {
      cwd: join(import.meta.dir, '..'),
      env: { ...process.env, PORT: 'eighty', VOXLOG_SQLITE_SYNCHRONOUS: 'sometimes', VOXLOG_EVENT_LOG: 'maybe' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect(code).toBe(2);
    for (const name of ['PORT', 'VOXLOG_SQLITE_SYNCHRONOUS', 'VOXLOG_EVENT_LOG']) expect(err).toContain(name);
    expect(out).not.toContain('listening');
  });
});
