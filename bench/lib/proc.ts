import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { inspect } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIFTED_LIMITS } from '../../src/config';

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly wsUrl: (query?: Record<string, string>) => string;
  stop(): Promise<void>;
}

/** Starts voxlog in its own process (the load generator must not share its event loop). */
export async function startServerProcess(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'voxlog-bench-')), bunFlags: string[] = []): Promise<ServerProcess> {
  const port = 21000 + Math.floor(Math.random() * 2000);
  const proc = Bun.spawn(['bun', ...bunFlags, 'src/main.ts'], {
    cwd: join(import.meta.dir, '../..'),
    env: { ...process.env, ...LIFTED_LIMITS, ...env, PORT: String(port), HOST: '127.0.0.1', VOXLOG_DATA_DIR: dataDir },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  for (let i = 0; i < 150; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false)) break;
    if (i === 149) throw new Error('the server did not start');
    await Bun.sleep(100);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    wsUrl: (query = {}) => `ws://127.0.0.1:${port}/ws/transcribe?${new URLSearchParams(query)}`,
    stop: async () => {
      proc.kill();
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU seconds a process has used (user + system), with its live descendants unless `alone`: a
 * server's engine processes count toward it; the load generator's server must not count toward it.
 */
export function cpuSeconds(pid: number, alone = false): number {
  if (alone) return threadCpuSeconds(pid, pid, 'stat');
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const fields = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return [{ pid: Number(d), ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / 100 }];
    } catch {
      return []; // it exited meanwhile
    }
  });
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) (tree.add(p.pid), (grew = true));
  }
  return procs.filter((p) => tree.has(p.pid)).reduce((n, p) => n + p.cpu, 0);
}

/**
 * CPU seconds of one thread of a process (user + system); the main thread's id is the process id.
 * `stat` instead of the thread's own reads the whole process (all its threads).
 */
export function threadCpuSeconds(pid: number, tid = pid, of: 'thread' | 'stat' = 'thread'): number {
  const fields = readFileSync(of === 'stat' ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, MB. */
export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** The p-th percentile (0-100) of a sample, nearest rank; NaN when empty. */
export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (x: number, digits = 0): number => Number(x.toFixed(digits));

/**
 * Runs `work` with the console writing to `file` instead of the terminal: a server run inside the
 * benchmark's own process logs there, apart from the tables.
 */
export async function consoleTo<T>(file: string, work: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const write = (...args: unknown[]) => appendFileSync(file, `${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}\n`);
  Object.assign(console, { log: write, info: write, warn: write, error: write });
  try {
    return await work();
  } finally {
    Object.assign(console, saved);
  }
}
