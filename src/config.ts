import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';

import { isRecognizer, mergeCatalog, OWN_PUNCTUATION_MODEL, punctuationModelIds, type CatalogEntry } from '../models/catalog';
import { readCatalogFile } from '../models/catalog-file';
import pkg from '../package.json';
import { command } from './program';
import { didYouMean } from './suggest';
/** Validated runtime configuration; every field comes from the environment (and `.env`, which Bun loads). */
/** Where an engine's recognizer runs: a Bun Worker in the server process, or a child process of its own. */
export const ENGINE_HOSTS = ['worker', 'process'] as const;
export type EngineHostKind = (typeof ENGINE_HOSTS)[number];

export interface Config {
  readonly host: string;
  readonly port: number;
  /** VOXLOG_TLS_CERT and VOXLOG_TLS_KEY (PEM files): the server speaks https and wss; null keeps it plain. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  readonly dataDir: string;
  /** VOXLOG_DATABASE_URL: the shared PostgreSQL log several nodes use; null keeps the log in SQLite. */
  readonly databaseUrl: string | null;
  /** This node's name in a shared log (its sessions, job claims and health row); stable across restarts. */
  readonly nodeId: string;
  /** Job uploads, generated speech and the token secret: a directory every node must share (VOXLOG_FILES_DIR). */
  readonly filesDir: string;
  /**
   * How long what a node claimed outlives its silence (VOXLOG_NODE_LEASE_MS): a running job it stops
   * renewing, and the sessions it served once it stops writing its health row, pass to other nodes after this.
   */
  readonly nodeLeaseMs: number;
  /** Directories searched for model folders, in order: VOXLOG_MODELS_DIR, then the shared test models. */
  readonly modelDirs: readonly string[];
  readonly defaultModel: string | undefined;
  /** What writes finals and transcripts as text (VOXLOG_PUNCTUATION_MODEL): voxlog's own model or a `punctuation` catalog entry. */
  readonly punctuationModel: string;
  /** Built-in models plus those of `VOXLOG_CATALOG_FILE`. */
  readonly catalog: readonly CatalogEntry[];
  readonly corsOrigins: readonly string[];
  /** OpenAPI `servers`; undefined means the address actually bound (which PORT=0 only knows after binding). */
  readonly openapiServers: readonly string[] | undefined;
  readonly maxFrameBytes: number;
  readonly sessionIdleMs: number;
  readonly sqliteSynchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  readonly workersPerModel: number;
  /** Where engines run: `worker` (a Bun Worker, the default) or `process` (a supervised child process each). */
  readonly engineHost: EngineHostKind;
  /** Most streams decoded in one call (1: one by one), and the longest a ready chunk waits for others. */
  readonly batch: { readonly size: number; readonly waitMs: number };
  /** VOXLOG_FAULT_ABORT_ON_DECODE: models whose engine aborts natively at its first decode (crash-isolation tests only). */
  readonly abortOnDecode: readonly string[];
  readonly engineIdleMs: number;
  readonly maxLoadedModels: number;
  /** `false` only for benchmarks measuring the log's cost: sessions then record nothing. */
  readonly eventLog: boolean;
  readonly version: string;
  readonly auth: AuthConfig;
  readonly limits: Limits;
  readonly logFormat: 'text' | 'json';
  readonly dictation: DictationConfig;
  readonly jobs: JobsConfig;
  readonly protocols: ProtocolsConfig;
}

/** The protocol adapters that need settings of their own (Deepgram's needs none). */
export interface ProtocolsConfig {
  /** TCP port of the Wyoming server (Home Assistant); null leaves it off. It listens on HOST. */
  readonly wyomingPort: number | null;
  /** With auth on: the API key Wyoming sessions run as (Wyoming clients cannot present one). */
  readonly wyomingApiKey: string | undefined;
  /** Where Twilio Media Streams finals are POSTed as they happen; undefined sends none. */
  readonly twilioWebhookUrl: string | undefined;
  /** Shared secret the webhook's HMAC-SHA256 signature is made with. */
  readonly twilioWebhookSecret: string | undefined;
}

/** Batch transcription jobs. */
export interface JobsConfig {
  /** Largest upload accepted (jobs and the OpenAI-compatible endpoint). */
  readonly maxUploadBytes: number;
  /** Jobs run at once (an admin can change it at runtime). */
  readonly maxConcurrent: number;
  /** A run taking longer is stopped and counts as a passing failure. */
  readonly timeoutMs: number;
  /** Runs a job gets before passing failures dead-letter it. */
  readonly maxAttempts: number;
  /** Backoff before the second run; doubles for each later one. */
  readonly retryMs: number;
  /** Uploads and results older than this are removed (an admin can change it at runtime). */
  readonly cleanupDays: number;
  /** Longest chunk the VAD cuts a file into. */
  readonly maxChunkMs: number;
  /** The most audio one job may hold, in seconds: a longer file is refused (413) once ffmpeg reports its length. */
  readonly maxAudioS: number;
  /** Jobs one user may have waiting or running at once; one more is refused (429). */
  readonly maxQueuedPerUser: number;
}

/** The dictation trainer: speech generation for items and spoken attempts. */
export interface DictationConfig {
  /** Syntheses run at once. */
  readonly ttsConcurrency: number;
  /** Tries per audio file before it is marked failed (transient failures only are retried). */
  readonly ttsMaxTries: number;
  /** Backoff before the second try; doubles for each later one. */
  readonly ttsRetryMs: number;
  /** A synthesis running longer is killed and counts as a transient failure. */
  readonly ttsTimeoutMs: number;
  readonly flite: string;
  readonly espeak: string;
  /** Largest recording accepted as a spoken attempt. */
  readonly maxAttemptAudioBytes: number;
}

export interface AuthConfig {
  /** Resolved from VOXLOG_AUTH (auto: on unless HOST is loopback). */
  readonly enabled: boolean;
  /** Auth is off on a non-loopback address: start warns. */
  readonly exposed: boolean;
  /** VOXLOG_SECRET_KEY; undefined means the key kept in the data directory (created on first start). */
  readonly secretKey: string | undefined;
  readonly accessTokenMinutes: number;
  readonly allowRegistration: boolean;
  /** The first admin, created at first start when no user exists. */
  readonly adminName: string;
  readonly adminPassword: string | undefined;
  /** Host header values served (lower case, without port); empty means any (a wildcard bind with no list). */
  readonly allowedHosts: readonly string[];
}

/** Bounds on what one client can make the server hold or do (DESIGN.md §8). */
export interface Limits {
  /** Audio accepted per session, as a multiple of real time, averaged over `intakeWindowMs`. */
  readonly maxIntakeRate: number;
  readonly intakeWindowMs: number;
  /**
   * Audio a session holds while its socket is paused (the model loading or switching, the intake budget
   * spent, the engine behind). Pausing stops reads, but what the client had already sent still arrives
   * (Bun's read in progress, and the kernel's buffer when the client closes): the cap is above that.
   */
  readonly maxHeldBytes: number;
  /** Audio sent to an engine and not yet decoded, per session. */
  readonly maxEngineBacklogMs: number;
  /** Bytes queued toward one client before it counts as a slow consumer. */
  readonly maxOutboundBytes: number;
  readonly maxSocketsPerIp: number;
  readonly maxMessagesPerSecond: number;
  /** HTTP requests per minute per client address. */
  readonly httpRequestsPerMinute: number;
  /** How long a client may stay over a limit before the socket is closed. */
  readonly graceMs: number;
  /** A live-tail (SSE) subscriber that has not taken its last chunk for this long is closed. */
  readonly sseStallMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

/** Where the shared test models and audio live: VOXLOG_SHARED_DIR, else `../shared` when it exists. */
export function sharedDir(env: Env = process.env): string | undefined {
  if (env.VOXLOG_SHARED_DIR) return resolve(env.VOXLOG_SHARED_DIR);
  const sibling = resolve(import.meta.dir, '../../shared');
  return existsSync(sibling) ? sibling : undefined;
}

/** A compiled binary also finds models in `models/` beside itself (what `bun run build` puts in dist/). */
const besideBinary = (): string[] => (Bun.isStandaloneExecutable ? [resolve(dirname(process.execPath), 'models')] : []);

/**
 * Per-client limits lifted, for benchmarks and pipeline tests that stream as fast as the socket takes
 * audio and hold many sockets from one address. Never a production setting.
 */
export const LIFTED_LIMITS: Record<string, string> = {
  VOXLOG_MAX_INTAKE_RATE: '100000',
  VOXLOG_MAX_ENGINE_BACKLOG_MS: '3600000',
  VOXLOG_MAX_HELD_BYTES: String(1024 * 1024 * 1024),
  VOXLOG_MAX_MESSAGES_PER_SECOND: '1000000',
  VOXLOG_MAX_SOCKETS_PER_IP: '100000',
  VOXLOG_HTTP_RATE_LIMIT: '10000000',
};

/** Whether a bind address only accepts connections from this machine. */
export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);

/** A host name without its port or IPv6 brackets' port suffix: `example.com:8000` → `example.com`. */
export function bare(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  if (host.split(':').length > 2) return `[${host}]`;
  return host.split(':')[0]!;
}

/** Reads and validates configuration, collecting every problem before failing. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const number = (name: string, fallback: number, min: number, max: number, integer = false): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!(integer ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => number(name, fallback, min, max, true);
  const list = (name: string, fallback: string[]): string[] => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    return raw.split(',').map((s) => s.trim()).filter(Boolean);
  };
  const urls = (name: string, fallback: string[]): string[] => {
    const values = list(name, fallback);
    for (const v of values) if (!URL.canParse(v)) problems.push(`${name} has ${JSON.stringify(v)}, which is not a URL`);
    return values;
  };

  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['on', 'true', '1'].includes(raw)) return true;
    if (['off', 'false', '0'].includes(raw)) return false;
    problems.push(`${name}=${JSON.stringify(env[name])} must be on or off`);
    return fallback;
  };

  const engineHost = (env.VOXLOG_ENGINE_HOST?.trim().toLowerCase() || 'worker') as EngineHostKind;
  if (!ENGINE_HOSTS.includes(engineHost)) problems.push(`VOXLOG_ENGINE_HOST=${JSON.stringify(env.VOXLOG_ENGINE_HOST)} must be ${ENGINE_HOSTS.join(' or ')}`);
  const host = env.HOST?.trim() || '127.0.0.1';
  const authMode = (env.VOXLOG_AUTH?.trim().toLowerCase() || 'auto') as 'auto' | 'on' | 'off';
  if (!['auto', 'on', 'off'].includes(authMode)) problems.push(`VOXLOG_AUTH=${JSON.stringify(env.VOXLOG_AUTH)} must be auto, on or off`);
  const loopback = isLoopback(host);
  const authEnabled = authMode === 'on' || (authMode !== 'off' && !loopback);
  const secretKey = env.VOXLOG_SECRET_KEY || undefined;
  if (secretKey !== undefined && secretKey.length < 32) problems.push('VOXLOG_SECRET_KEY must be at least 32 characters (e.g. openssl rand -hex 32)');
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(host);
  const allowedHosts = list('VOXLOG_ALLOWED_HOSTS', wildcard ? [] : [bare(host), 'localhost', '127.0.0.1', '[::1]']).map((h) => bare(h.toLowerCase()));
  const port = int('PORT', 8000, 0, 65535);
  const sync = (env.VOXLOG_SQLITE_SYNCHRONOUS ?? 'NORMAL').toUpperCase();
  if (!(SYNCHRONOUS as readonly string[]).includes(sync)) {
    problems.push(`VOXLOG_SQLITE_SYNCHRONOUS=${JSON.stringify(env.VOXLOG_SQLITE_SYNCHRONOUS)} must be one of ${SYNCHRONOUS.join(', ')}`);
  }
  const modelsDir = resolve(env.VOXLOG_MODELS_DIR || 'models');
  const shared = sharedDir(env);
  const tls = tlsFiles(env.VOXLOG_TLS_CERT?.trim(), env.VOXLOG_TLS_KEY?.trim(), problems);
  if (env.VOXLOG_SHARED_DIR && !existsSync(shared!)) problems.push(`VOXLOG_SHARED_DIR=${env.VOXLOG_SHARED_DIR} does not exist`);
  const modelDirs = [modelsDir, ...(shared ? [resolve(shared, 'models')] : []), ...besideBinary()];
  let extra: readonly CatalogEntry[] = [];
  if (env.VOXLOG_CATALOG_FILE) {
    const read = readCatalogFile(resolve(env.VOXLOG_CATALOG_FILE));
    if ('problem' in read) problems.push(read.problem);
    else extra = read.entries;
  }
  const catalog = mergeCatalog(extra);
  const defaultModel = env.VOXLOG_DEFAULT_MODEL?.trim() || undefined;
  if (defaultModel && !catalog.some((m) => m.id === defaultModel && isRecognizer(m))) problems.push(`VOXLOG_DEFAULT_MODEL=${defaultModel} is not a recognizer in the catalog (${command('models list')})`);
  const punctuationModel = env.VOXLOG_PUNCTUATION_MODEL?.trim() || OWN_PUNCTUATION_MODEL;
  const punctuators = punctuationModelIds(catalog);
  if (!punctuators.includes(punctuationModel)) problems.push(`VOXLOG_PUNCTUATION_MODEL=${punctuationModel} is not a punctuation model${didYouMean(punctuationModel, punctuators)} (it may be ${punctuators.join(' or ')})`);

  const dataDir = resolve(env.VOXLOG_DATA_DIR || 'data');
  const databaseUrl = env.VOXLOG_DATABASE_URL?.trim() || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/./.test(databaseUrl)) problems.push('VOXLOG_DATABASE_URL must be a postgres:// URL (leave it unset for the SQLite log)');
  const nodeId = env.VOXLOG_NODE_ID?.trim() || `${hostname()}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 6)}`;
  if (!/^[\w.:-]{1,64}$/.test(nodeId)) problems.push(`VOXLOG_NODE_ID=${JSON.stringify(nodeId)} must be 1 to 64 letters, digits, '.', ':', '_' or '-'`);

  const config: Config = {
    host,
    port,
    tls,
    dataDir,
    databaseUrl,
    nodeId,
    filesDir: resolve(env.VOXLOG_FILES_DIR || dataDir),
    nodeLeaseMs: int('VOXLOG_NODE_LEASE_MS', 30_000, 500, 3_600_000),
    modelDirs,
    defaultModel,
    punctuationModel,
    catalog,
    corsOrigins: urls('VOXLOG_CORS_ORIGINS', ['http://localhost:5173']),
    openapiServers: env.VOXLOG_OPENAPI_SERVERS?.trim() ? urls('VOXLOG_OPENAPI_SERVERS', []) : undefined,
    maxFrameBytes: int('VOXLOG_MAX_FRAME_BYTES', 256 * 1024, 2, 8 * 1024 * 1024),
    sessionIdleMs: int('VOXLOG_SESSION_IDLE_MS', 60_000, 1_000, 24 * 3600_000),
    sqliteSynchronous: sync as Config['sqliteSynchronous'],
    workersPerModel: int('VOXLOG_WORKERS_PER_MODEL', navigator.hardwareConcurrency || 1, 1, 64),
    engineHost,
    batch: { size: int('VOXLOG_MAX_BATCH', 16, 1, 256), waitMs: int('VOXLOG_BATCH_WAIT_MS', 10, 0, 1000) },
    abortOnDecode: list('VOXLOG_FAULT_ABORT_ON_DECODE', []),
    engineIdleMs: int('VOXLOG_ENGINE_IDLE_MS', 600_000, 1_000, 7 * 24 * 3600_000),
    maxLoadedModels: int('VOXLOG_MAX_LOADED_MODELS', 4, 1, 64),
    eventLog: flag('VOXLOG_EVENT_LOG', true),
    version: pkg.version,
    auth: {
      enabled: authEnabled,
      exposed: !authEnabled && !loopback,
      secretKey,
      accessTokenMinutes: int('VOXLOG_ACCESS_TOKEN_EXPIRE_MINUTES', 60, 1, 525_600),
      allowRegistration: flag('VOXLOG_ALLOW_REGISTRATION', false),
      adminName: env.VOXLOG_ADMIN_USER?.trim() || 'admin',
      adminPassword: env.VOXLOG_ADMIN_PASSWORD || undefined,
      allowedHosts,
    },
    limits: {
      maxIntakeRate: number('VOXLOG_MAX_INTAKE_RATE', 4, 1, 100_000),
      intakeWindowMs: int('VOXLOG_INTAKE_WINDOW_MS', 5_000, 1_000, 600_000),
      maxHeldBytes: int('VOXLOG_MAX_HELD_BYTES', 16 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
      maxEngineBacklogMs: int('VOXLOG_MAX_ENGINE_BACKLOG_MS', 20_000, 1_000, 3_600_000),
      maxOutboundBytes: int('VOXLOG_MAX_OUTBOUND_BYTES', 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
      maxSocketsPerIp: int('VOXLOG_MAX_SOCKETS_PER_IP', 32, 1, 100_000),
      maxMessagesPerSecond: int('VOXLOG_MAX_MESSAGES_PER_SECOND', 200, 1, 1_000_000),
      httpRequestsPerMinute: int('VOXLOG_HTTP_RATE_LIMIT', 1200, 1, 10_000_000),
      graceMs: int('VOXLOG_LIMIT_GRACE_MS', 3_000, 0, 600_000),
      sseStallMs: int('VOXLOG_SSE_STALL_MS', 60_000, 1_000, 3_600_000),
    },
    logFormat: env.VOXLOG_LOG_FORMAT?.trim().toLowerCase() === 'json' ? 'json' : 'text',
    dictation: {
      ttsConcurrency: int('VOXLOG_TTS_CONCURRENCY', 2, 1, 64),
      ttsMaxTries: int('VOXLOG_TTS_MAX_TRIES', 3, 1, 20),
      ttsRetryMs: int('VOXLOG_TTS_RETRY_MS', 1_000, 1, 600_000),
      ttsTimeoutMs: int('VOXLOG_TTS_TIMEOUT_MS', 60_000, 100, 600_000),
      flite: env.VOXLOG_FLITE?.trim() || 'flite',
      espeak: env.VOXLOG_ESPEAK_NG?.trim() || 'espeak-ng',
      maxAttemptAudioBytes: int('VOXLOG_MAX_ATTEMPT_AUDIO_BYTES', 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    jobs: {
      maxUploadBytes: int('VOXLOG_MAX_UPLOAD_BYTES', 2 * 1024 ** 3, 1024, 64 * 1024 ** 3),
      maxConcurrent: int('VOXLOG_MAX_CONCURRENT_JOBS', 2, 0, 64),
      timeoutMs: int('VOXLOG_JOB_TIMEOUT_S', 3600, 1, 7 * 24 * 3600) * 1000,
      maxAttempts: int('VOXLOG_JOB_MAX_ATTEMPTS', 3, 1, 20),
      retryMs: int('VOXLOG_JOB_RETRY_MS', 2_000, 1, 3_600_000),
      cleanupDays: int('VOXLOG_CLEANUP_DAYS', 30, 1, 36_500),
      maxChunkMs: int('VOXLOG_JOB_MAX_CHUNK_S', 30, 5, 120) * 1000,
      maxAudioS: int('VOXLOG_MAX_JOB_AUDIO_S', 12 * 3600, 1, 7 * 24 * 3600),
      maxQueuedPerUser: int('VOXLOG_MAX_QUEUED_JOBS', 100, 1, 1_000_000),
    },
    protocols: {
      wyomingPort: env.VOXLOG_WYOMING_PORT?.trim() ? int('VOXLOG_WYOMING_PORT', 10300, 0, 65535) : null,
      wyomingApiKey: env.VOXLOG_WYOMING_API_KEY?.trim() || undefined,
      twilioWebhookUrl: env.VOXLOG_TWILIO_WEBHOOK_URL?.trim() ? urls('VOXLOG_TWILIO_WEBHOOK_URL', [])[0] : undefined,
      twilioWebhookSecret: env.VOXLOG_TWILIO_WEBHOOK_SECRET || undefined,
    },
  };
  if (config.protocols.twilioWebhookUrl && !config.protocols.twilioWebhookSecret) problems.push('VOXLOG_TWILIO_WEBHOOK_URL needs VOXLOG_TWILIO_WEBHOOK_SECRET: the webhook is signed with it');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The certificate and key as given, both or neither; a missing file is a problem at startup, not at the first handshake. */
function tlsFiles(cert: string | undefined, key: string | undefined, problems: string[]): Config['tls'] {
  if (!cert && !key) return null;
  if (!cert || !key) {
    problems.push('VOXLOG_TLS_CERT and VOXLOG_TLS_KEY go together: set both (PEM files) for https and wss, or neither');
    return null;
  }
  for (const [name, path] of [['VOXLOG_TLS_CERT', cert], ['VOXLOG_TLS_KEY', key]] as const) {
    if (!existsSync(path)) problems.push(`${name}=${path} does not exist`);
  }
  return { cert: resolve(cert), key: resolve(key) };
}
