import { SQL } from 'bun';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

// A real PostgreSQL server for the tests and the benchmark, with nothing installed by hand:
// VOXLOG_TEST_DATABASE_URL when set (a server the caller runs; each caller gets its own database on
// it), otherwise a private cluster this process starts once (initdb in a temporary directory, on a
// free loopback port) and stops when this process ends, however it ends (a watchdog outlives it).

let server: Promise<string> | undefined;
/** The private cluster, when this process started one. */
let cluster: { dir: string; log: string; start: () => void } | undefined;

/** The private cluster's directory, when this process started one (tests of its clean-up). */
export const clusterDir = (): string | undefined => cluster?.dir;

const tail = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no log)');

/**
 * A fresh, empty database; returns its URL. `durable` (the benchmark) keeps PostgreSQL's defaults
 * (fsync and synchronous commit on); otherwise (the tests) the private cluster skips fsync.
 */
export async function freshDatabase(durable = false): Promise<string> {
  const base = await (server ??= Promise.resolve(process.env.VOXLOG_TEST_DATABASE_URL || startCluster(durable)));
  const name = `voxlog_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const create = async () => {
    const admin = new SQL(base, { max: 1 });
    try {
      await admin.unsafe(`CREATE DATABASE ${name}`);
    } finally {
      await admin.close();
    }
  };
  await create().catch(async (err) => {
    // The private cluster stopped under this process: say why (its log), start it again once.
    if (!cluster) throw err;
    console.error(`the test PostgreSQL cluster did not answer (${(err as Error).message}); its log ends:\n${tail(cluster.log)}`);
    cluster.start();
    await create();
  });
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.href;
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name);
  throw new Error(`PostgreSQL's ${name} was not found under ${root}: install Debian's postgresql package (.ci/run does), or set VOXLOG_TEST_DATABASE_URL`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startCluster(durable: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'voxlog-pg-'));
  // PostgreSQL refuses to run as root: as root, the cluster belongs to Debian's postgres user.
  const asRoot = userInfo().uid === 0;
  if (asRoot) spawnOk('chown', ['postgres:postgres', dir]);
  const run = (bin: string, args: string[]) => (asRoot ? spawnOk('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]) : spawnOk(pgBin(bin), args));
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'voxlog', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  // fsync off for the tests: a test cluster's durability is not under test, the suite's speed is.
  const speed = durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200${speed}`;
  const log = join(dir, 'log');
  cluster = { dir, log, start: () => run('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', 'start']) };
  const stop = asRoot ? ['runuser', '-u', 'postgres', '--', pgBin('pg_ctl'), '-D', data, '-m', 'immediate', 'stop'] : [pgBin('pg_ctl'), '-D', data, '-m', 'immediate', 'stop'];
  // The watchdog is started before the cluster, so no cluster runs without one. A test runner does not
  // always run exit handlers (and a killed one never does): the watchdog, in a session of its own,
  // waits for this process to end, then stops the cluster and removes its directory.
  const watchdog = `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; ${stop.map(quote).join(' ')} >/dev/null 2>&1; rm -rf ${quote(dir)}`;
  spawn('sh', ['-c', watchdog], { detached: true, stdio: 'ignore' }).unref();
  cluster.start();
  process.on('exit', () => {
    spawnSync(stop[0]!, stop.slice(1));
    rmSync(dir, { recursive: true, force: true });
  });
  return `postgres://voxlog@127.0.0.1:${port}/postgres`;
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

function spawnOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error}`);
}
