// bun run bench:profile [--clients N] [--seconds S] [--model ID] [--host worker|process]
// Profiles the server's main thread (Bun's CPU profiler) under N real-time clients and prints where
// its time went: its CPU share and its hottest functions by samples. Engines (Workers or
// processes) are not in it: the question is what the thread serving every socket spends itself on.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseWav } from '../src/audio/wav';
import { sharedDir } from '../src/config';
import { realtimeClient } from './lib/clients';
import { cpuSeconds, startServerProcess, threadCpuSeconds } from './lib/proc';
import { programme } from './sections/concurrency';

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { clients: { type: 'string', default: '64' }, seconds: { type: 'string', default: '15' }, model: { type: 'string', default: 'gigaspeech-zipformer-3.3M-en-greedy' }, host: { type: 'string', default: 'worker' } } });
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const dir = join(sharedDir()!, 'audio', 'synthetic-seen');
const clips = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().map((f) => parseWav(new Uint8Array(readFileSync(join(dir, f)))).data);
const profDir = mkdtempSync(join(tmpdir(), 'voxlog-prof-'));

const server = await startServerProcess({ VOXLOG_DEFAULT_MODEL: values.model!, VOXLOG_ENGINE_HOST: values.host! }, undefined, ['--cpu-prof-md', `--cpu-prof-dir=${profDir}`]);
await realtimeClient(server.wsUrl(), programme(clips, 0, 1)); // load the model
const cpu0 = cpuSeconds(server.pid);
const main0 = threadCpuSeconds(server.pid);
const t0 = performance.now();
const runs = await Promise.all(Array.from({ length: clients }, (_, i) => realtimeClient(server.wsUrl(), programme(clips, i, seconds))));
const wall = (performance.now() - t0) / 1000;
const cpu = cpuSeconds(server.pid) - cpu0;
const main = threadCpuSeconds(server.pid) - main0;
process.kill(server.pid, 'SIGTERM'); // a clean exit writes the profile
await server.stop();
const md = readdirSync(profDir).find((f) => f.endsWith('.md'));
if (!md) throw new Error(`no profile written in ${profDir}`);
const text = readFileSync(join(profDir, md), 'utf8');
console.log(`${clients} clients × ${seconds} s on ${values.model} (${values.host} host): ${runs.reduce((n, r) => n + r.texts.length, 0)} finals, ${runs.reduce((n, r) => n + r.partialLag.length, 0)} partials`);
console.log(`main thread CPU ${((main / wall) * 100).toFixed(1)} % | server CPU (all threads and engine processes) ${((cpu / wall) * 100).toFixed(0)} % | wall ${wall.toFixed(1)} s`);
console.log(`profile: ${join(profDir, md)}`);
console.log(summarise(text));

/**
 * The main thread's functions by self samples (samples, not the profile's times: after an idle
 * stretch a sample is credited with the whole gap), with their share of all samples.
 */
function summarise(markdown: string, top = 20): string {
  const found = [...markdown.matchAll(/^### `(.+)`\n`(.*)` \| Self: [^|]+\| Total: [^|]+\| Samples: (\d+)/gm)].map((m) => ({ fn: m[1]!, at: m[2]!.replace(/^.*\/(node_modules\/[^/]+|src)\//, '$1/'), samples: Number(m[3]) }));
  const total = found.reduce((n, f) => n + f.samples, 0);
  const rows = found.sort((a, b) => b.samples - a.samples).slice(0, top);
  return [`${total} samples on the main thread (1 ms apart while it runs)`, ...rows.map((r) => `${String(r.samples).padStart(6)}  ${((r.samples / total) * 100).toFixed(1).padStart(5)} %  ${r.fn}  ${r.at}`)].join('\n');
}
