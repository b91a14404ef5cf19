import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { cors } from '@elysiajs/cors';
import { Elysia } from 'elysia';
import { projections } from '../events/projections';
import { engineStream } from '../events/ids';
import type { EventStore } from '../events/store';
import { event, type VoxEvent } from '../events/types';
import type { Config } from './config';
import { lockDataDir, StartupError } from './data-lock';
import { choosePunctuation } from './format/choice';
import { usePunctuationModel } from './format/file-formatter';
import { openEventLog } from './event-log';
import { EngineRegistry } from './engine/registry';
import { apiDocs } from './routes/api-docs';
import { errorHandling } from './routes/errors';
import { healthRoutes } from './routes/health';
import { eventRoutes } from './routes/events';
import { historyRoutes } from './routes/history';
import { sessionRoutes } from './routes/sessions';
import { statsRoutes } from './routes/stats';
import { modelRoutes } from './routes/models';
import { Authenticator } from './auth/authenticator';
import { LiveCredentials } from './auth/revocation';
import { gate } from './auth/gate';
import { authRoutes } from './auth/routes';
import { secretKey, TokenIssuer } from './auth/tokens';
import { Users } from './auth/users';
import type { Database } from 'bun:sqlite';
import type { EngineHooks } from './engine/engine';
import { serveAdminSocket } from './ops/admin-socket';
import { CHECK_EVERY_MS, LogHealth } from './ops/log-health';
import { Metrics } from './ops/metrics';
import { requestLog, sessionLog } from './ops/logs';
import { adminRoutes } from './routes/admin';
import { metricsRoutes } from './routes/metrics';
import { closeOrphans, stampingNode } from './server/orphans';
import type { Session } from './server/session';
import { CLOSE_WAIT_S, SocketsPerIp } from './server/host';
import { transcribeRoutes, type TranscribeDeps } from './server/ws';
import { assemblyaiRoutes } from './protocols/assemblyai';
import { openaiRealtime } from './protocols/openai-realtime';
import { sherpaSocket } from './protocols/sherpa';
import { voskSocket } from './protocols/vosk';
import { deepgramRoutes } from './protocols/deepgram';
import { twilioRoutes } from './protocols/twilio';
import { startWyoming, type WyomingServer } from './protocols/wyoming/server';
import { dictation } from './dictation';
import { jobs } from './jobs';
import { uiRoutes } from './ui/routes';
import type { JobService } from './jobs/service';
import { command } from './program';

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
  /** The server's own connection to its database (fault-injection tests set pragmas on it). */
  readonly db: Database;
  readonly logHealth: LogHealth;
  /** The batch job queue (operations and tests: the retention sweep, fault injection). */
  readonly jobs: JobService;
  /** The Wyoming server's port, when VOXLOG_WYOMING_PORT turned it on. */
  readonly wyomingPort?: number;
  stop(): Promise<void>;
}

/** Engine lifecycle to the log, the console and the metrics. */
function engineHooks(store: EventStore, metrics: () => Metrics): EngineHooks {
  const engineEvent = (modelId: string, e: VoxEvent) =>
    store.append(engineStream(modelId), [e]).catch((err) => console.error(`could not log ${e.type} for ${modelId}: ${String(err)}`));
  return {
    onStarted: (id, worker, loadMs, restarts, downMs) => {
      console.log(`engine ${id} worker ${worker} loaded in ${loadMs} ms${restarts ? ` after restart ${restarts} (${downMs} ms down)` : ''}`);
      void engineEvent(id, event('EngineStarted', { model_id: id, load_ms: loadMs, worker, restarts, down_ms: downMs }));
    },
    onCrashed: (id, worker, message, restarts, streams) => {
      console.error(`engine ${id} worker ${worker} crashed (restart ${restarts}, ${streams} streams): ${message}`);
      metrics().restarts.inc({ model: id });
      void engineEvent(id, event('EngineCrashed', { model_id: id, message, worker, restarts, streams }));
    },
    onFailed: (id, message) => {
      console.error(`model ${id} failed: ${message}`);
      void engineEvent(id, event('EngineFailed', { model_id: id, message }));
    },
    onDecoded: (id, audioMs, busyMs, batch) => {
      metrics().audioSeconds.inc({ model: id }, audioMs / 1000);
      metrics().decodeSeconds.inc({ model: id }, busyMs / 1000);
      if (batch > 0) metrics().batchStreams.observe({ model: id }, batch);
    },
    onFormatted: (_id, ms) => metrics().formatSeconds.observe(ms / 1000),
  };
}

const countBy = (xs: readonly string[]): [string, number][] => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())];

/** Creates the first admin from VOXLOG_ADMIN_PASSWORD when no user exists; warns when auth is on with nobody to sign in. */
async function bootstrapAdmin(config: Config, users: Users): Promise<void> {
  if (config.auth.exposed) console.warn(`WARNING: auth is off (VOXLOG_AUTH=off) while listening on ${config.host}: anyone who can reach this address can read every transcript`);
  if (users.count() > 0) return;
  if (config.auth.adminPassword) {
    await users.create(config.auth.adminName, config.auth.adminPassword, 'admin');
    console.log(`created the first admin user ${config.auth.adminName} from VOXLOG_ADMIN_PASSWORD`);
  } else if (config.auth.enabled) {
    console.warn(`auth is on and there are no users yet: set VOXLOG_ADMIN_PASSWORD, or run: ${command('users add --admin NAME')}`);
  }
}

/** Why the server cannot listen where it was told to, in words that say what to do. */
function listenError(config: Config, err: unknown): StartupError {
  if ((err as { code?: string }).code === 'EADDRINUSE') return new StartupError(`port ${config.port} on ${config.host} is already in use; stop what is listening there or set PORT to another port (PORT=0 picks a free one)`);
  return new StartupError(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
}

/**
 * A taken port is said before the data directory is created, locked or migrated: binding and letting
 * go costs a millisecond, where finding out at listen() left a new data directory behind.
 */
function refuseTakenPort(config: Config): void {
  if (config.port === 0) return;
  try {
    Bun.listen({ hostname: config.host, port: config.port, socket: { data() {} } }).stop(true);
  } catch (err) {
    throw listenError(config, err);
  }
}

/** Composes the whole server from configuration and starts listening. */
export async function startServer(config: Config): Promise<RunningServer> {
  refuseTakenPort(config);
  const lock = lockDataDir(config.dataDir);
  try {
    return await compose(config, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function compose(config: Config, lock: { release(): void }): Promise<RunningServer> {
  usePunctuationModel(await choosePunctuation(config.punctuationModel, config.catalog, config.modelDirs).catch((err: Error) => Promise.reject(new StartupError(err.message))));
  mkdirSync(config.filesDir, { recursive: true });
  const recordings = join(config.filesDir, 'sessions');
  mkdirSync(recordings, { recursive: true });
  const log = await openEventLog({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, synchronous: config.sqliteSynchronous, projections, exclusive: true, log: (line) => console.log(line) });
  const { db, store, path: dbPath, shared } = log;
  if (shared) console.log(`event log: PostgreSQL (log ${shared.logId}), this node ${config.nodeId}, replica ${dbPath}`);
  const sessions = new Map<string, Session>();
  const liveIds = () => new Set([...sessions.values()].map((s) => s.id));
  // Sessions this node served (or, on a log from before nodes, any): a restart or a recovered log closes
  // them. A SQLite log is this server's alone (it holds the file exclusively), so every session open in
  // it is one this server left, whatever node name it ran under then (a renamed host, a moved data dir).
  const mine = (node: string | null) => !shared || node === null || node === config.nodeId;
  const closeOrphaned = (reason: string, mayClose = mine) =>
    closeOrphans(db, store, liveIds(), reason, mayClose)
      .then((n) => n > 0 && console.log(`closed ${n} session(s) left open in the log (${reason})`))
      .catch((err) => console.error('could not close orphaned sessions:', err));
  // On a shared log the probe writes this node's health row, which other nodes read as its heartbeat:
  // it comes four times per lease, so a live node never looks silent for a whole lease.
  const heartbeatMs = Math.min(CHECK_EVERY_MS, config.nodeLeaseMs / 4);
  const logHealth = new LogHealth(db, dbPath, store, () => void closeOrphaned('log_write_failed'), shared && (() => shared.probe(config.nodeId)), shared ? heartbeatMs : CHECK_EVERY_MS);
  const unwritable = logHealth.start();
  if (unwritable) {
    logHealth.stop();
    await log.close();
    throw new StartupError(`the event log in ${config.dataDir} cannot be written: ${unwritable}`);
  }
  await closeOrphaned('server_restart');
  // A node that stopped writing its health row is gone: its open sessions are closed (so they can be resumed on another node).
  const lostNodes = shared && setInterval(() => {
    void shared.silentNodes(config.nodeLeaseMs).then((silent) => {
      const lost = new Set(silent.filter((n) => n !== config.nodeId));
      if (lost.size > 0) void closeOrphaned('node_lost', (node) => node !== null && lost.has(node));
    }, () => {});
  }, Math.max(500, config.nodeLeaseMs / 3));
  let sseSubscribers = 0;
  const registry = new EngineRegistry({
    catalog: config.catalog,
    modelDirs: config.modelDirs,
    workersPerModel: config.workersPerModel,
    host: config.engineHost,
    batch: config.batch,
    abortOnDecode: config.abortOnDecode,
    idleMs: config.engineIdleMs,
    maxLoaded: config.maxLoadedModels,
    hooks: engineHooks(store, () => metrics),
  });
  const metrics: Metrics = new Metrics({
    activeSessions: () => sessions.size,
    workers: () => registry.loaded().flatMap((e) => countBy(e.workers.map((w) => w.status)).map(([status, count]) => ({ model: e.modelId, status, count }))),
    logPosition: () => store.lastPosition(),
    sseSubscribers: () => sseSubscribers,
    jobs: () => db.query('SELECT status, COUNT(*) AS count FROM jobs GROUP BY status').all() as { status: string; count: number }[],
  });
  store.observe({ onCommitted: (ms) => metrics.appendSeconds.observe(ms / 1000), onFailed: () => metrics.appendFailures.inc() });
  const onRejected = (reason: string) => metrics.rejected.inc({ reason });
  const users = new Users(db, store);
  await bootstrapAdmin(config, users);
  const tokens = new TokenIssuer(secretKey(config.auth.secretKey, config.filesDir), config.auth.accessTokenMinutes);
  const auth = new Authenticator(config.auth.enabled, users, tokens);
  if (!config.eventLog) console.warn('VOXLOG_EVENT_LOG=off: sessions record nothing (for measuring the log\'s cost only)');
  const sessionStore = config.eventLog ? stampingNode(store, config.nodeId) : discardingStore;
  const defaultModel = registry.defaultModel(config.defaultModel);
  const dictationApp = dictation(config, db, store, registry, defaultModel);
  const pendingSpeech = dictationApp.tts.start();
  if (pendingSpeech > 0) console.log(`generating the audio of ${pendingSpeech} item(s) left pending by the last run`);
  const jobsApp = jobs(config, db, store, registry, defaultModel);
  const unfinished = await jobsApp.service.start();
  if (unfinished > 0) console.log(`resuming ${unfinished} job(s) the last run left unfinished`);

  const credentials = new LiveCredentials();
  const unfollowCredentials = store.subscribe((e) => credentials.onEvent(e));
  const live: TranscribeDeps = {
    registry,
    store: sessionStore,
    sessions,
    sockets: new SocketsPerIp(config.limits.maxSocketsPerIp),
    defaultModel,
    practice: dictationApp.practice,
    credentials,
    idleMs: config.sessionIdleMs,
    maxFrameBytes: config.maxFrameBytes,
    limits: config.limits,
    onRejected,
    metrics,
    log: sessionLog(config.logFormat),
    recordings,
  };
  // Filled in once the port is bound: with PORT=0 only then is it known.
  const servers: { url: string }[] = [];
  // Bun's body limit is lifted: the gate bounds every body by route (src/limits/bodies.ts) and answers
  // why; Bun's own refusal has an empty body, and a chunked body running past it errored a stream no one owned.
  const app = new Elysia({ websocket: { maxPayloadLength: config.maxFrameBytes * 4, idleTimeout: CLOSE_WAIT_S }, serve: { maxRequestBodySize: Number.MAX_SAFE_INTEGER } })
    .use(errorHandling)
    .use(requestLog(config.logFormat, metrics))
    .use(cors({ origin: [...config.corsOrigins] }))
    .use(gate({ auth, allowedHosts: config.auth.allowedHosts, corsOrigins: config.corsOrigins, httpRequestsPerMinute: config.limits.httpRequestsPerMinute, bodies: { uploadBytes: config.jobs.maxUploadBytes, attemptBytes: config.dictation.maxAttemptAudioBytes }, onRejected }))
    .use(authRoutes(users, tokens, config.auth.allowRegistration))
    .use(apiDocs({ title: 'voxlog', version: config.version, description: 'Self-hosted real-time speech-to-text. Live audio streams over WebSocket at /ws/transcribe.', servers }))
    .use(healthRoutes(logHealth, registry, config.dataDir, config.modelDirs, config.version, { id: config.nodeId, store: shared ? 'postgresql' : 'sqlite' }))
    .use(metricsRoutes(metrics))
    .use(adminRoutes(db, users, registry, metrics))
    .use(modelRoutes(registry, defaultModel))
    .use(historyRoutes(db))
    .use(sessionRoutes(db, store, recordings))
    .use(eventRoutes(store, { onSubscribers: (d) => (sseSubscribers += d), onRejected, stallMs: config.limits.sseStallMs }))
    .use(statsRoutes(db))
    .use(uiRoutes())
    .use(dictationApp.routes)
    .use(jobsApp.routes)
    .use(transcribeRoutes(live))
    .use(deepgramRoutes(live, { db, jobs: jobsApp.service, dataDir: config.filesDir, maxUploadBytes: config.jobs.maxUploadBytes, version: config.version }))
    .use(assemblyaiRoutes(live, tokens))
    .use(openaiRealtime(live))
    .use(voskSocket(live))
    .use(sherpaSocket(live))
    .use(twilioRoutes(live, auth, { webhookUrl: config.protocols.twilioWebhookUrl, webhookSecret: config.protocols.twilioWebhookSecret }));
  /** What a start that fails after composing must let go of (the data lock is released by the caller). */
  const release = async () => {
    await registry.stopAll();
    dictationApp.tts.stop();
    await jobsApp.service.stop();
    clearInterval(lostNodes);
    logHealth.stop();
    await log.close();
  };
  try {
    // reusePort off: with it on (Elysia's default) a second server on a taken port starts anyway and
    // the kernel splits requests between two servers with two databases.
    app.listen({ hostname: config.host, port: config.port, reusePort: false, ...(config.tls ? { tls: { cert: Bun.file(config.tls.cert), key: Bun.file(config.tls.key) } } : {}) });
  } catch (err) {
    await release();
    throw listenError(config, err);
  }

  const server = app.server!;
  const url = server.url.href.replace(/\/$/, '');
  const { wyomingPort, wyomingApiKey } = config.protocols;
  let wyoming: WyomingServer | undefined;
  try {
    wyoming = wyomingPort === null ? undefined : startWyoming(live, auth, { host: config.host, port: wyomingPort, apiKey: wyomingApiKey, version: config.version, url });
  } catch (err) {
    await app.stop();
    await release();
    throw new StartupError(`cannot listen for Wyoming on ${config.host}:${wyomingPort}: ${(err as Error).message} (VOXLOG_WYOMING_PORT)`);
  }
  servers.push(...(config.openapiServers ?? [url]).map((u) => ({ url: u })));
  const admin = serveAdminSocket(config.dataDir, { handle: db, path: dbPath }, users);
  return {
    url,
    port: server.port!,
    store,
    registry,
    db,
    logHealth,
    jobs: jobsApp.service,
    wyomingPort: wyoming?.port,
    async stop() {
      admin.stop();
      wyoming?.stop();
      const drains = [...sessions.values()].map((s) => s.shutdown());
      await Promise.race([Promise.all(drains), Bun.sleep(DRAIN_TIMEOUT_MS)]);
      await Promise.race([dictationApp.scored(), Bun.sleep(DRAIN_TIMEOUT_MS)]);
      await Promise.race([jobsApp.service.stop(), Bun.sleep(DRAIN_TIMEOUT_MS)]);
      await app.stop();
      dictationApp.tts.stop();
      // A worker stuck in native code must not hold the shutdown forever.
      await Promise.race([registry.stopAll(), Bun.sleep(DRAIN_TIMEOUT_MS)]);
      clearInterval(lostNodes);
      unfollowCredentials();
      logHealth.stop();
      await log.close();
      lock.release();
    },
  };
}
