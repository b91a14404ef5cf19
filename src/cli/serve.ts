// voxlog [serve]: the server. Configured from the environment (see README, Configuration).
import { dirname } from 'node:path';
import { findModel } from '../../models/catalog';
import { locateModel } from '../engine/model-files';
import { command, PROGRAM } from '../program';
import { cliConfig, parseCli } from './args';
import type { Config } from '../config';

const USAGE = `usage: ${PROGRAM === 'voxlog' ? 'voxlog [serve]' : 'bun run start   (or: bun run serve)'}

Starts the server: live sessions over WebSocket, the REST API with Swagger UI at /swagger, the web
app at /. It takes no options; the environment (or a .env file in the working directory) sets it up:

  HOST, PORT               where it listens (default 127.0.0.1:8000; PORT=0 picks a free port)
  VOXLOG_DATA_DIR          the event log and uploads (default data/)
  VOXLOG_MODELS_DIR        model folders, one per catalog id (default models/)${PROGRAM === 'voxlog' ? '; models/ beside the binary is searched too' : ''}
  VOXLOG_DEFAULT_MODEL     the model sessions get when they name none
  VOXLOG_PUNCTUATION_MODEL what writes text: voxlog-punct-en (its own, the default) or a punctuation model pulled with models pull
  VOXLOG_AUTH              on, off or auto (on unless HOST is loopback)
  VOXLOG_DATABASE_URL      a PostgreSQL event log shared by several nodes

Every variable is in README.md under Configuration. ${command('models list')} shows the models on disk.

Exit codes: 0 stopped by SIGINT or SIGTERM, 1 could not start (port in use, data directory locked or
unwritable), 2 bad configuration.`;

parseCli(USAGE, {});
const config = cliConfig();
const { startServer } = await import('../app');
const { StartupError } = await import('../data-lock');
try {
  const server = await startServer(config);
  console.log(`voxlog ${config.version} listening on ${server.url} (web app at ${server.url}/, Swagger UI at ${server.url}/swagger)`);
  reportModels(config, server.registry.runnable(), server.registry.defaultModel(config.defaultModel));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('shutting down: flushing open sessions');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A stray failure in one request's or session's callback must not end every other session: it is
  // logged (and is a defect to fix), and the server keeps serving.
  process.on('unhandledRejection', (err) => console.error('unhandled rejection (the server keeps running):', err));
  process.on('uncaughtException', (err) => console.error('uncaught exception (the server keeps running):', err));
} catch (err) {
  if (!(err instanceof StartupError)) throw err;
  console.error(`voxlog cannot start: ${err.message}`);
  process.exit(1);
}

/** Says which recognizers the server found and where it looked; warns, with the command to fix it, when it found none. */
function reportModels(c: Config, runnable: readonly string[], defaultModel: string): void {
  const looked = `looked in ${c.modelDirs.join(', ')}`;
  if (runnable.length === 0) {
    const suggestion = c.catalog.find((m) => m.kind === 'streaming' && m.url && m.language === 'en');
    console.warn(
      `WARNING: no speech model is on disk (${looked}); sessions and jobs are refused until one is.` +
        `${suggestion ? ` Get one with: ${command(`models pull ${suggestion.id}`)}.` : ''} ${command('models list')} lists every model.`,
    );
    return;
  }
  const where = new Set(runnable.map((id) => locateModel(findModel(id, c.catalog)!, c.modelDirs)).flatMap((l) => (l.available ? [dirname(l.dir)] : [])));
  console.log(`models: ${runnable.map((id) => (id === defaultModel ? `${id} (default)` : id)).join(', ')}; found in ${[...where].join(', ')} (${looked}); text written by ${c.punctuationModel}`);
  if (!runnable.includes(defaultModel)) console.warn(`WARNING: the default model ${defaultModel} is not on disk; sessions that name no model are refused (${command(`models pull ${defaultModel}`)}, or set VOXLOG_DEFAULT_MODEL)`);
}
