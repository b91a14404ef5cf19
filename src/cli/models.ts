// bun run models list            the catalog: what is on disk, sizes, licences
// bun run models pull <id>       download an upstream model into VOXLOG_MODELS_DIR (resumable, checksum-verified)
import { catalog, findModel } from '../../models/catalog';
import { PullError, pullModel, type PullProgress } from '../catalog/pull';
import { ConfigError, loadConfig } from '../config';
import { locateModel } from '../engine/model-files';

const [command, id, ...rest] = Bun.argv.slice(2);
let config;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : String(err));
  process.exit(2);
}
const modelsDir = config.modelDirs[0]!;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

switch (command) {
  case 'list': {
    const rows = catalog.map((m) => {
      const loc = locateModel(m, config.modelDirs);
      return [m.id, m.kind, m.language, loc.available ? `yes (${mb(loc.sizeBytes)})` : m.url ? 'no: bun run models pull' : 'no', m.licence, m.description];
    });
    const head = ['id', 'kind', 'language', 'on disk', 'licence', 'description'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    console.log(`\nmodels directory: ${modelsDir}`);
    break;
  }
  case 'pull': {
    const entry = id ? findModel(id) : undefined;
    if (!entry) {
      console.error(id ? `unknown model ${id}; see: bun run models list` : 'usage: bun run models pull <id> [--force]');
      process.exit(2);
    }
    console.error(`pulling ${entry.id} from ${entry.url ?? '(no URL)'} into ${modelsDir}`);
    const progress = progressPrinter();
    try {
      const r = await pullModel(entry, modelsDir, { force: rest.includes('--force'), onProgress: progress });
      progress.done();
      console.log(`${entry.id}: ${mb(r.bytes)}${r.resumedFrom ? ` (resumed from ${mb(r.resumedFrom)})` : ''}, sha256 ${r.sha256} (${r.verifiedBy}), in ${r.dir}`);
    } catch (err) {
      progress.done();
      console.error(err instanceof PullError ? err.message : String(err));
      process.exit(1);
    }
    break;
  }
  default:
    console.error('usage: bun run models list | bun run models pull <id> [--force]');
    process.exit(2);
}

/** A progress bar on a terminal; a line every 10% otherwise (logs, CI). */
function progressPrinter() {
  const tty = process.stderr.isTTY;
  const start = performance.now();
  let lastDecile = -1;
  let startBytes = -1;
  const print = (p: PullProgress) => {
    if (startBytes < 0) startBytes = p.received;
    const rate = (p.received - startBytes) / Math.max(0.001, (performance.now() - start) / 1000);
    const pct = p.total ? Math.floor((p.received / p.total) * 100) : undefined;
    const text = `${pct === undefined ? '' : `${String(pct).padStart(3)}% `}${mb(p.received)}${p.total ? ` / ${mb(p.total)}` : ''} at ${mb(rate)}/s`;
    if (tty) {
      const bar = pct === undefined ? '' : `[${'#'.repeat(Math.floor(pct / 4)).padEnd(25, '-')}] `;
      process.stderr.write(`\r\x1b[2K${bar}${text}`);
    } else if (pct !== undefined && Math.floor(pct / 10) > lastDecile) {
      lastDecile = Math.floor(pct / 10);
      process.stderr.write(`${text}\n`);
    }
  };
  return Object.assign(print, { done: () => tty && process.stderr.write('\n') });
}
