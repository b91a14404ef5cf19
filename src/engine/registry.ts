import { join } from 'node:path';
import { findModel, isRecognizer, PREFERRED_DEFAULT_MODEL, VAD_MODEL_ID, type CatalogEntry } from '../../models/catalog';
import { NotFoundError, UnavailableError, ValidationError } from '../errors';
import { Engine, type EngineHooks, type EngineStatus } from './engine';
import { loadSpec, locateModel } from './model-files';
import type { EngineHostKind } from '../config';
import type { BatchSettings } from './batcher';
import { ModelProbe, type BatchCapacity } from './model-probe';
import { command } from '../program';
import { didYouMean } from '../suggest';

export interface ModelInfo {
  readonly id: string;
  readonly kind: Exclude<CatalogEntry['kind'], 'tts'>;
  readonly language: string;
  readonly description: string;
  readonly available: boolean;
  readonly loaded: boolean;
  readonly status: EngineStatus | 'unloaded' | 'missing';
  readonly size_bytes: number | null;
  readonly error: string | null;
  /** Streams decoded in one call once probed (1: one by one), and why; null until the model's first load. */
  readonly batch: { readonly size: number; readonly reason: string } | null;
  readonly workers: Engine['workers'];
}

export interface RegistryOptions {
  readonly catalog: readonly CatalogEntry[];
  readonly modelDirs: readonly string[];
  readonly workersPerModel: number;
  readonly host: EngineHostKind;
  /** The configured most streams per decode call and wait; a model fixed at batch 1 gets 1. */
  readonly batch: BatchSettings;
  /** Models whose engine aborts at its first decode (fault injection for crash-isolation tests). */
  readonly abortOnDecode?: readonly string[];
  /** An engine with no stream for this long is unloaded. */
  readonly idleMs: number;
  /** Most engines loaded at once; loading another unloads the least recently used idle one. */
  readonly maxLoaded: number;
  readonly hooks?: EngineHooks;
}

/** Engines by model id: probed, loaded lazily, shared by every session on the model, unloaded when idle. */
export class EngineRegistry {
  private readonly engines = new Map<string, Engine>();
  /** Why a model could not be used, until its files change. */
  private readonly failures = new Map<string, string>();
  /** Batch size per streaming model, from its probe. */
  private readonly batching = new Map<string, { size: number; reason: string }>();
  private readonly probe = new ModelProbe();
  private readonly sweeper: Timer;

  constructor(private readonly options: RegistryOptions) {
    this.sweeper = setInterval(() => this.unloadIdle(), Math.min(30_000, Math.max(1000, options.idleMs / 4)));
    this.sweeper.unref();
  }

  /** Every model the registry knows (built in and from VOXLOG_CATALOG_FILE). */
  get catalog(): readonly CatalogEntry[] {
    return this.options.catalog;
  }

  /** Recognizers this server can run: on disk, and not refused by their probe. */
  runnable(): string[] {
    return this.options.catalog.filter((m) => isRecognizer(m) && !this.failures.has(m.id) && locateModel(m, this.options.modelDirs).available).map((m) => m.id);
  }

  /** The end of every model refusal: what can run instead. */
  private canRun(): string {
    const runnable = this.runnable();
    return runnable.length > 0 ? `models that can run here: ${runnable.join(', ')}` : `no model can run here (${command('models list')} says what to pull)`;
  }

  private unknown(modelId: string): NotFoundError {
    return new NotFoundError(`unknown model ${JSON.stringify(modelId)}${didYouMean(modelId, this.options.catalog.map((m) => m.id))}; ${this.canRun()}`, 'unknown_model');
  }

  private notRecognizer(entry: CatalogEntry): ValidationError {
    const what = { vad: 'voice-activity detector', tts: 'text-to-speech voice', punctuation: 'punctuation model' }[entry.kind as 'vad' | 'tts' | 'punctuation'];
    return new ValidationError(`${entry.id} is a ${what}, not a speech recognizer; ${this.canRun()}`, 'unsupported_model');
  }

  /**
   * Refuses a model this server cannot run before any work is accepted for it: unknown (404), not a
   * recognizer, not on disk or refused by its probe (400). Each refusal names the models that can run.
   */
  requireRunnable(modelId: string): void {
    const entry = findModel(modelId, this.options.catalog);
    if (!entry) throw this.unknown(modelId);
    if (!isRecognizer(entry)) throw this.notRecognizer(entry);
    const failure = this.failures.get(modelId);
    const loc = locateModel(entry, this.options.modelDirs);
    if (failure) throw new ValidationError(`model ${modelId} cannot be loaded: ${failure}; ${this.canRun()}`, 'model_unavailable');
    if (!loc.available) throw new ValidationError(`${loc.reason}; ${this.canRun()}`, 'model_unavailable');
  }

  /** The engine for a model, loading it if needed; throws a typed error for unknown, missing or bad models. */
  async acquire(modelId: string): Promise<Engine> {
    const entry = findModel(modelId, this.options.catalog);
    if (!entry) throw this.unknown(modelId);
    if (!isRecognizer(entry)) throw this.notRecognizer(entry);
    let engine = this.engines.get(modelId);
    if (!engine || engine.status === 'failed' || engine.status === 'stopped') {
      const loc = locateModel(entry, this.options.modelDirs);
      if (!loc.available) throw new UnavailableError(`${loc.reason}; ${this.canRun()}`, 'model_unavailable');
      const vad = this.vadModel(entry);
      const spec = loadSpec(entry, loc.dir, vad);
      const files = [...Object.values(entry.files).map((f) => join(loc.dir, f)), ...(vad ? [vad] : [])];
      const probed = await this.probe.check(spec, files);
      if (!probed.ok) {
        this.failures.set(modelId, probed.reason);
        this.options.hooks?.onFailed?.(modelId, probed.reason);
        throw new UnavailableError(`model ${modelId} cannot be loaded: ${probed.reason}`, 'model_load_failed');
      }
      this.failures.delete(modelId);
      const batched = this.batchFor(modelId, probed.batch);
      engine = this.engines.get(modelId); // another session may have started it while this one probed
      if (!engine || engine.status === 'failed' || engine.status === 'stopped') {
        this.makeRoom();
        const abortOnDecode = this.options.abortOnDecode?.includes(modelId) === true;
        const full = spec.kind === 'streaming' ? { ...spec, abortOnDecode, batch: { size: batched.size, waitMs: this.options.batch.waitMs } } : { ...spec, abortOnDecode };
        engine = new Engine(modelId, full, this.options.workersPerModel, this.options.host, this.options.hooks);
        this.engines.set(modelId, engine);
      }
    }
    engine.lastUsed = Date.now();
    await engine.ready();
    return engine;
  }

  /** The loaded engine for a model, if any (operations and tests). */
  engine(modelId: string): Engine | undefined {
    return this.engines.get(modelId);
  }

  /**
   * The model a session gets when it names none: the configured one, else the real English model
   * when it is on disk, else the first streaming model on disk.
   */
  defaultModel(configured: string | undefined): string {
    if (configured) return configured;
    const streaming = this.options.catalog.filter((m) => m.kind === 'streaming');
    const onDisk = [...streaming.filter((m) => m.id === PREFERRED_DEFAULT_MODEL), ...streaming].find((m) => locateModel(m, this.options.modelDirs).available);
    return (onDisk ?? streaming[0]!).id;
  }

  /** Recognizers, the VAD and punctuation models (text-to-speech voices are listed by GET /api/v1/tts/voices). */
  list(): ModelInfo[] {
    const recognizers = this.options.catalog.filter((m): m is CatalogEntry & { kind: ModelInfo['kind'] } => m.kind !== 'tts');
    return recognizers.map((m) => {
      const loc = locateModel(m, this.options.modelDirs);
      const engine = this.engines.get(m.id);
      const failure = this.failures.get(m.id);
      const status = engine?.status ?? (failure ? 'failed' : loc.available ? 'unloaded' : 'missing');
      return {
        id: m.id,
        kind: m.kind,
        language: m.language,
        description: m.description,
        available: loc.available,
        loaded: engine?.status === 'ready',
        status,
        size_bytes: loc.available ? loc.sizeBytes : null,
        error: failure ?? engine?.lastError ?? (loc.available ? null : loc.reason),
        batch: this.batching.get(m.id) ?? null,
        workers: engine?.workers ?? [],
      };
    });
  }

  /** The engines in memory now, with their workers (admin view and metrics). */
  loaded(): { modelId: string; status: string; workers: Engine['workers'] }[] {
    return [...this.engines].map(([modelId, e]) => ({ modelId, status: e.status, workers: e.workers }));
  }

  engineCount(): number {
    return [...this.engines.values()].filter((e) => e.status === 'ready').length;
  }

  /** Stops every engine; resolves when their workers have ended. */
  async stopAll(): Promise<void> {
    clearInterval(this.sweeper);
    const stopping = [...this.engines.values()].map((e) => e.stop());
    this.engines.clear();
    await Promise.all(stopping);
  }

  /** Unloads engines that have had no stream for the idle TTL. */
  unloadIdle(now = Date.now()): string[] {
    const unloaded: string[] = [];
    for (const [id, e] of this.engines) {
      if (e.streamCount === 0 && now - e.lastUsed >= this.options.idleMs) {
        void e.stop();
        this.engines.delete(id);
        unloaded.push(id);
      }
    }
    return unloaded;
  }

  /** At the cap, unloads the least recently used idle engine; with none idle, refuses to load another. */
  private makeRoom(): void {
    const live = [...this.engines.entries()].filter(([, e]) => e.status !== 'failed' && e.status !== 'stopped');
    if (live.length < this.options.maxLoaded) return;
    const idle = live.filter(([, e]) => e.streamCount === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    const victim = idle[0];
    if (!victim) throw new UnavailableError(`${live.length} models are loaded and all are in use (VOXLOG_MAX_LOADED_MODELS=${this.options.maxLoaded}); try again later`, 'too_many_models');
    void victim[1].stop();
    this.engines.delete(victim[0]);
  }

  /** The batch size a model's engine uses: the model's capacity capped by VOXLOG_MAX_BATCH. */
  private batchFor(modelId: string, capacity: BatchCapacity | undefined): { size: number; reason: string } {
    const max = this.options.batch.size;
    const batch = !capacity
      ? { size: 1, reason: 'offline model: segments of several streams decode at once on the thread pool instead' }
      : capacity.size !== null && capacity.size <= max
        ? { size: capacity.size, reason: capacity.reason }
        : { size: max, reason: `${capacity.reason}; VOXLOG_MAX_BATCH=${max}` };
    this.batching.set(modelId, batch);
    return batch;
  }

  /** Path of the Silero VAD weights (offline models and batch chunking use them). */
  vadPath(neededBy: string): string {
    const vad = this.locateVad();
    if ('reason' in vad) throw new UnavailableError(`${neededBy} needs the VAD: ${vad.reason}`, 'model_unavailable');
    return vad.path;
  }

  private locateVad(): { readonly path: string } | { readonly reason: string } {
    const vad = findModel(VAD_MODEL_ID, this.options.catalog)!;
    const loc = locateModel(vad, this.options.modelDirs);
    return loc.available ? { path: join(loc.dir, vad.files.model!) } : loc;
  }

  /**
   * Path of the Silero VAD: offline models cannot run without it; streaming models use it to end
   * segments when speech stops, and fall back to the model's own endpoint rule where it is missing.
   */
  private vadModel(entry: CatalogEntry): string | undefined {
    if (entry.kind === 'offline') return this.vadPath(`offline model ${entry.id}`);
    const vad = this.locateVad();
    return 'path' in vad ? vad.path : undefined;
  }
}
