import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { mergeCatalog, type CatalogEntry } from '../models/catalog';
import { readCatalogFile } from '../models/catalog-file';
import pkg from '../package.json';
/** Validated runtime configuration; every field comes from the environment (and `.env`, which Bun loads). */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Directories searched for model folders, in order: VOXLOG_MODELS_DIR, then the shared test models. */
  readonly modelDirs: readonly string[];
  readonly defaultModel: string | undefined;
  /** Built-in models plus those of `VOXLOG_CATALOG_FILE`. */
  readonly catalog: readonly CatalogEntry[];
  readonly corsOrigins: readonly string[];
  /** OpenAPI `servers`; undefined means the address actually bound (which PORT=0 only knows after binding). */
  readonly openapiServers: readonly string[] | undefined;
  readonly maxFrameBytes: number;
  readonly sessionIdleMs: number;
  readonly sqliteSynchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  readonly workersPerModel: number;
  readonly engineIdleMs: number;
  readonly maxLoadedModels: number;
  /** `false` only for benchmarks measuring the log's cost: sessions then record nothing. */
  readonly eventLog: boolean;
  readonly version: string;
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

/** Reads and validates configuration, collecting every problem before failing. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
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

  const host = env.HOST?.trim() || '127.0.0.1';
  const port = int('PORT', 8000, 0, 65535);
  const sync = (env.VOXLOG_SQLITE_SYNCHRONOUS ?? 'NORMAL').toUpperCase();
  if (!(SYNCHRONOUS as readonly string[]).includes(sync)) {
    problems.push(`VOXLOG_SQLITE_SYNCHRONOUS=${JSON.stringify(env.VOXLOG_SQLITE_SYNCHRONOUS)} must be one of ${SYNCHRONOUS.join(', ')}`);
  }
  const modelsDir = resolve(env.VOXLOG_MODELS_DIR || 'models');
  const shared = sharedDir(env);
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
  if (defaultModel && !catalog.some((m) => m.id === defaultModel && m.kind !== 'vad')) problems.push(`VOXLOG_DEFAULT_MODEL=${defaultModel} is not a recognizer in the catalog (bun run models list)`);

  const config: Config = {
    host,
    port,
    dataDir: resolve(env.VOXLOG_DATA_DIR || 'data'),
    modelDirs,
    defaultModel,
    catalog,
    corsOrigins: urls('VOXLOG_CORS_ORIGINS', ['http://localhost:5173']),
    openapiServers: env.VOXLOG_OPENAPI_SERVERS?.trim() ? urls('VOXLOG_OPENAPI_SERVERS', []) : undefined,
    maxFrameBytes: int('VOXLOG_MAX_FRAME_BYTES', 256 * 1024, 2, 8 * 1024 * 1024),
    sessionIdleMs: int('VOXLOG_SESSION_IDLE_MS', 60_000, 1_000, 24 * 3600_000),
    sqliteSynchronous: sync as Config['sqliteSynchronous'],
    workersPerModel: int('VOXLOG_WORKERS_PER_MODEL', navigator.hardwareConcurrency || 1, 1, 64),
    engineIdleMs: int('VOXLOG_ENGINE_IDLE_MS', 600_000, 1_000, 7 * 24 * 3600_000),
    maxLoadedModels: int('VOXLOG_MAX_LOADED_MODELS', 4, 1, 64),
    eventLog: flag('VOXLOG_EVENT_LOG', true),
    version: pkg.version,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
