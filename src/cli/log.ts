// bun run log copy --from sqlite:FILE --to postgres://…   move an existing log to PostgreSQL, then verify it
import { existsSync } from 'node:fs';
import { copyToPostgres } from '../../events/copy';
import { redact } from '../../events/pg-log';
import { projections } from '../../events/projections';
import { sameRows } from '../../events/projections/verify';
import { fail, parseCli } from './args';
import { progressLine } from './progress';
import { PROGRAM } from '../program';

const USAGE = `usage: ${PROGRAM} log copy --from sqlite:FILE --to postgres://USER@HOST/DB

  copy    copies every event of an SQLite log (e.g. sqlite:data/voxlog.sqlite) into an empty
          PostgreSQL database, keeping positions, ids and versions, then verifies the copy: a
          replica built from it, as a node builds one, must equal the source event for event and
          projection table for table. Stop the server first; then start the nodes with
          VOXLOG_DATABASE_URL set to the same URL.

Exit codes: 0 copied and verified, 1 the copy failed or differs, 2 bad arguments.`;

const { values, positionals } = parseCli(USAGE, { from: { type: 'string' }, to: { type: 'string' } });
if (positionals[0] !== 'copy' || positionals.length > 1) fail(USAGE);
const from = values.from?.replace(/^sqlite:/, '');
if (!values.from?.startsWith('sqlite:') || !from) fail(`--from must be sqlite:FILE\n${USAGE}`);
if (!existsSync(from)) fail(`no SQLite log at ${from}`);
const to = values.to ?? '';
if (!/^postgres(ql)?:\/\/./.test(to)) fail(`--to must be a postgres:// URL\n${USAGE}`);

const progress = progressLine(`copy ${from} → ${redact(to)}`);
try {
  const report = await copyToPostgres(from, to, projections, (done, total, phase) => progress(total === 0 ? 1 : done / total, `${done} of ${total} events ${phase}`));
  progress.done(`${report.copied} events copied in ${report.copySeconds.toFixed(1)} s, verified in ${report.verifySeconds.toFixed(1)} s`);
  for (const t of report.tables) {
    const same = sameRows(t);
    console.log(`${same ? 'same   ' : 'DIFFERS'} ${t.table} (${t.rows} rows)${same ? '' : `\n  only in the source: ${t.onlyInLive.join('\n    ')}\n  only in the copy: ${t.onlyInRebuild.join('\n    ')}`}`);
  }
  if (!report.ok) fail('the copy differs from the source', 1);
  console.log(`the PostgreSQL log equals ${from}: start the nodes with VOXLOG_DATABASE_URL=${redact(to)}`);
} catch (err) {
  progress.failed((err as Error).message);
  process.exit(1);
}
