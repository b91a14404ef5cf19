// bun run models list            the catalog: what is on disk, sizes, licences
// bun run models pull <id>       download an upstream model into VOXLOG_MODELS_DIR (resumable, checksum-verified)
import { findModel } from '../../models/catalog';
import { AlreadyPulled, PullError, pullModel, type PullProgress } from '../catalog/pull';
import { locateModel } from '../engine/model-files';
import { cliConfig, fail, parseCli } from './args';
import { command, PROGRAM } from '../program';
import { didYouMean } from '../suggest';

const USAGE = `usage: ${PROGRAM} models list
       ${PROGRAM} models pull <id> [--force]

  list          every model voxlog knows, whether it is on disk, its licence
  pull <id>     download an upstream model into VOXLOG_MODELS_DIR (default models/): progress shown,
                an interrupted download resumes, the checksum is verified; a model already on disk
                is skipped unless --force

Exit codes: 0 done (or already on disk), 1 the download failed, 2 bad arguments or configuration.`;

const { values, positionals } = parseCli(USAGE, { force: { type: 'boolean', default: false } });
const [action, id, ...extra] = positionals;
const config = cliConfig();
const modelsDir = config.modelDirs[0]!;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

switch (action) {
  case 'list': {
    if (id) fail(`list takes no model id\n${USAGE}`);
    const rows = config.catalog.map((m) => {
      const loc = locateModel(m, config.modelDirs);
      const onDisk = loc.available ? `yes (${mb(loc.sizeBytes)})` : m.url ? `no: ${command('models pull')}` : 'no: see below';
      return [m.id, m.kind, m.language, onDisk, m.licence, m.description];
    });
    const head = ['id', 'kind', 'language', 'on disk', 'licence', 'description'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    console.log(`\nmodels directory: ${modelsDir}`);
    for (const m of config.catalog) if (!m.url && !locateModel(m, config.modelDirs).available) console.log(`${m.id}: not on disk; it ${m.source ?? 'has no download'}`);
    break;
  }
  case 'pull': {
    if (!id) fail(`pull needs a model id\n${USAGE}`);
    if (extra.length > 0) fail(`pull takes one model id; got ${[id, ...extra].join(' ')}`);
    const entry = findModel(id, config.catalog);
    if (!entry) fail(`unknown model ${id}; see: ${command('models list')}`);
    if (!entry.url) {
      const loc = locateModel(entry, config.modelDirs);
      fail(`${entry.id} has no download: it ${entry.source ?? 'comes from a local folder'}${loc.available ? `; it is on disk in ${loc.dir}` : ''}`, loc.available ? 0 : 1);
    }
    console.error(`pulling ${entry.id} from ${entry.url} into ${modelsDir}`);
    const progress = progressPrinter();
    try {
      const r = await pullModel(entry, modelsDir, { force: values.force, onProgress: progress });
      progress.done();
      console.log(`${entry.id}: ${mb(r.bytes)}${r.resumedFrom ? ` (resumed from ${mb(r.resumedFrom)})` : ''}, sha256 ${r.sha256} (${r.verifiedBy}), in ${r.dir}`);
    } catch (err) {
      progress.done();
      if (err instanceof AlreadyPulled) fail(err.message, 0);
      fail(err instanceof PullError ? err.message : String(err), 1);
    }
    break;
  }
  default:
    fail(action ? `unknown command ${action}${didYouMean(action, ['list', 'pull'])}\n\n${USAGE}` : USAGE);
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
