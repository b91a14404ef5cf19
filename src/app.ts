import { join } from 'node:path';
import { cors } from '@elysiajs/cors';
import { Elysia } from 'elysia';
import { projections } from '../events/projections';
import { ensureProjections } from '../events/projections/runner';
import { engineStream } from '../events/ids';
import { EventStore } from '../events/store';
import { event, type VoxEvent } from '../events/types';
import type { Config } from './config';
import { lockDataDir, StartupError } from './data-lock';
import { migrate, openDatabase } from './db';
import { EngineRegistry } from './engine/registry';
import { apiDocs } from './routes/api-docs';
import { errorHandling } from './routes/errors';
import { healthRoutes } from './routes/health';
import { eventRoutes } from './routes/events';
import { historyRoutes } from './routes/history';
import { sessionRoutes } from './routes/sessions';
import { statsRoutes } from './routes/stats';
import { modelRoutes } from './routes/models';
import type { Session } from './server/session';
import { transcribeRoutes } from './server/ws';

/** What sessions write to when the event log is switched off for a benchmark baseline. */
const discardingStore: Pick<EventStore, 'append' | 'readStream'> = {
  append: async () => ({ nextVersion: 0, lastPosition: 0, events: [] }),
  readStream: () => [],
};

/** How long shutdown waits for open sessions to flush their last segments. */
const DRAIN_TIMEOUT_MS = 5_000;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly store: EventStore;
  /** The engines, for operations and tests (e.g. to see or stop a worker). */
  readonly registry: EngineRegistry;
  stop(): Promise<void>;
}

/** Composes the whole server from configuration and starts listening. */
export async function startServer(config: Config): Promise<RunningServer> {
  const lock = lockDataDir(config.dataDir);
  try {
    return await compose(config, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function compose(config: Config, lock: { release(): void }): Promise<RunningServer> {
  const db = openDatabase(join(config.dataDir, 'voxlog.sqlite'), config.sqliteSynchronous);
  const applied = migrate(db);
  if (applied.length > 0) console.log(`applied migrations: ${applied.join(', ')}`);
  const rebuilt = ensureProjections(db, projections);
  if (rebuilt.length > 0) console.log(`built projections from the log: ${rebuilt.join(', ')}`);
  const store = new EventStore(db, projections);
  const engineEvent = (modelId: string, e: VoxEvent) =>
    store.append(engineStream(modelId), [e]).catch((err) => console.error(`could not log ${e.type} for ${modelId}:`, err));
  const registry = new EngineRegistry({
    catalog: config.catalog,
    modelDirs: config.modelDirs,
    workersPerModel: config.workersPerModel,
    idleMs: config.engineIdleMs,
    maxLoaded: config.maxLoadedModels,
    hooks: {
      onStarted: (id, worker, loadMs, restarts, downMs) => {
        console.log(`engine ${id} worker ${worker} loaded in ${loadMs} ms${restarts ? ` after restart ${restarts} (${downMs} ms down)` : ''}`);
        void engineEvent(id, event('EngineStarted', { model_id: id, load_ms: loadMs, worker, restarts, down_ms: downMs }));
      },
      onCrashed: (id, worker, message, restarts, streams) => {
        console.error(`engine ${id} worker ${worker} crashed (restart ${restarts}, ${streams} streams): ${message}`);
        void engineEvent(id, event('EngineCrashed', { model_id: id, message, worker, restarts, streams }));
      },
      onFailed: (id, message) => {
        console.error(`model ${id} failed: ${message}`);
        void engineEvent(id, event('EngineFailed', { model_id: id, message }));
      },
    },
  });
  const sessions = new Map<string, Session>();
  if (!config.eventLog) console.warn('VOXLOG_EVENT_LOG=off: sessions record nothing (for measuring the log\'s cost only)');
  const sessionStore = config.eventLog ? store : discardingStore;

  // Filled in once the port is bound: with PORT=0 only then is it known.
  const servers: { url: string }[] = [];
  const app = new Elysia({ websocket: { maxPayloadLength: config.maxFrameBytes * 4 } })
    .use(errorHandling)
    .use(cors({ origin: [...config.corsOrigins] }))
    .use(apiDocs({ title: 'voxlog', version: config.version, description: 'Self-hosted real-time speech-to-text. Live audio streams over WebSocket at /ws/transcribe.', servers }))
    .use(healthRoutes(db, registry, config.dataDir, config.modelDirs, config.version))
    .use(modelRoutes(registry))
    .use(historyRoutes(db))
    .use(sessionRoutes(db, store))
    .use(eventRoutes(store))
    .use(statsRoutes(db))
    .use(
      transcribeRoutes({
        registry,
        store: sessionStore,
        sessions,
        defaultModel: registry.defaultModel(config.defaultModel),
        idleMs: config.sessionIdleMs,
        maxFrameBytes: config.maxFrameBytes,
      }),
    );
  try {
    // reusePort off: with it on (Elysia's default) a second server on a taken port starts anyway and
    // the kernel splits requests between two servers with two databases.
    app.listen({ hostname: config.host, port: config.port, reusePort: false });
  } catch (err) {
    await registry.stopAll();
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${config.port} on ${config.host} is already in use; stop what is listening there or set PORT to another port (PORT=0 picks a free one)`);
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }

  const server = app.server!;
  const url = server.url.href.replace(/\/$/, '');
  servers.push(...(config.openapiServers ?? [url]).map((u) => ({ url: u })));
  return {
    url,
    port: server.port!,
    store,
    registry,
    async stop() {
      const drains = [...sessions.values()].map((s) => s.shutdown());
      await Promise.race([Promise.all(drains), Bun.sleep(DRAIN_TIMEOUT_MS)]);
      await app.stop();
      // A worker stuck in native code must not hold the shutdown forever.
      await Promise.race([registry.stopAll(), Bun.sleep(DRAIN_TIMEOUT_MS)]);
      db.close();
      lock.release();
    },
  };
}
