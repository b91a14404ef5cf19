// The tests' private PostgreSQL cluster ends with the process that started it, however that ends:
// a run that finishes, one that fails, one that is killed.
import { describe, expect, it } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './helpers/server';

const ROOT = join(import.meta.dir, '..');

/** A process that starts the private cluster, prints its URL and directory, then ends as `how` says. */
function startsCluster(how: 'finishes' | 'hangs') {
  const script = `
    const { clusterDir, freshDatabase } = await import(${JSON.stringify(join(ROOT, 'scripts/postgres.ts'))});
    const url = await freshDatabase();
    console.log(JSON.stringify({ url, dir: clusterDir() }));
    ${how === 'hangs' ? 'setInterval(() => {}, 1000);' : ''}`;
  const env = { ...process.env };
  delete env.VOXLOG_TEST_DATABASE_URL;
  return Bun.spawn(['bun', '-e', script], { env, stdout: 'pipe', stderr: 'inherit' });
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<{ url: string; dir: string }> {
  let text = '';
  for await (const chunk of stream) {
    text += new TextDecoder().decode(chunk);
    if (text.includes('\n')) break;
  }
  return JSON.parse(text.split('\n')[0]!);
}

const answers = async (url: string) => {
  const port = Number(new URL(url).port);
  return Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } }).then((s) => (s.end(), true), () => false);
};

describe('the private PostgreSQL cluster', () => {
  for (const how of ['finishes', 'hangs'] as const) {
    it(`stops and leaves no directory when the process that started it ${how === 'finishes' ? 'ends on its own' : 'is killed with SIGKILL'}`, async () => {
      const child = startsCluster(how);
      const { url, dir } = await firstLine(child.stdout);
      expect(existsSync(dir)).toBe(true);
      expect(await answers(url)).toBe(true);
      if (how === 'hangs') child.kill('SIGKILL');
      await child.exited;
      await eventually(async () => !(await answers(url)) && !existsSync(dir), 20_000);
    });
  }
});
