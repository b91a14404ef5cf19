// A running server holds its SQLite log alone; the command-line tools reach it through its admin
// socket, which only the server's OS user may open.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { adminSocketPath } from '../src/ops/admin-socket';
import { startTestServer, type TestServer } from './helpers/server';

const ROOT = join(import.meta.dir, '..');
let server: TestServer;
beforeAll(async () => (server = await startTestServer()));
afterAll(() => server.dispose());

const cli = async (args: string[], stdin = '') => {
  const p = Bun.spawn(['bun', join(ROOT, 'src/cli/users.ts'), ...args], { env: { ...process.env, VOXLOG_DATA_DIR: server.dataDir }, stdin: new Blob([stdin]), stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
};

describe('the admin socket of a running server', () => {
  it('is a socket only its owner may open', () => {
    const st = statSync(adminSocketPath(server.dataDir));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o077).toBe(0);
  });

  it('lets bun run users add and list work while the server holds its log', async () => {
    const added = await cli(['add', 'grace'], 'grace-password-1\n');
    expect(added).toMatchObject({ code: 0 });
    expect(added.out).toContain('created user grace');
    expect(added.out).toContain('through the running server');
    // The server itself knows the new user at once: it signs in.
    const token = await fetch(`${server.url}/api/v1/auth/token`, { method: 'POST', body: new URLSearchParams({ username: 'grace', password: 'grace-password-1', grant_type: 'password' }) });
    expect(token.status).toBe(200);
    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/grace\s+user/);
    const twice = await cli(['add', 'grace'], 'grace-password-1\n');
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/grace/);
  });
});
