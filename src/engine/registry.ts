import { catalog, findModel, VAD_MODEL_ID, type CatalogEntry } from '../../models/catalog';
import { NotFoundError, UnavailableError, ValidationError } from '../errors';
import { Engine, type EngineHooks, type EngineStatus } from './engine';
import { loadSpec, locateModel } from './model-files';

export interface ModelInfo {
  readonly id: string;
  readonly kind: CatalogEntry['kind'];
  readonly language: string;
  readonly description: string;
  readonly available: boolean;
  readonly loaded: boolean;
  readonly status: EngineStatus | 'unloaded' | 'missing';
  readonly size_bytes: number | null;
  readonly error: string | null;
}

/** Engines by model id: loaded lazily on first use and shared by every session on that model. */
export class EngineRegistry {
  private readonly engines = new Map<string, Engine>();

  constructor(
    private readonly modelDirs: readonly string[],
    private readonly hooks: EngineHooks = {},
  ) {}

  /** The engine for a model, loading it if needed; throws a typed error for unknown or missing models. */
  async acquire(modelId: string): Promise<Engine> {
    const entry = findModel(modelId);
    if (!entry) throw new NotFoundError(`unknown model ${JSON.stringify(modelId)}; GET /api/v1/models lists them`, 'unknown_model');
    if (entry.kind === 'vad') throw new ValidationError(`${modelId} is a voice-activity detector, not a speech recognizer`, 'unsupported_model');
    let engine = this.engines.get(modelId);
    if (!engine || engine.status === 'failed' || engine.status === 'stopped') {
      const loc = locateModel(entry, this.modelDirs);
      if (!loc.available) throw new UnavailableError(loc.reason, 'model_unavailable');
      engine = new Engine(modelId, loadSpec(entry, loc.dir, this.vadModel(entry)), this.hooks);
      this.engines.set(modelId, engine);
    }
    await engine.ready();
    return engine;
  }

  /** Path of the Silero VAD an offline model needs; undefined for streaming models. */
  private vadModel(entry: CatalogEntry): string | undefined {
    if (entry.kind !== 'offline') return undefined;
    const vad = findModel(VAD_MODEL_ID)!;
    const loc = locateModel(vad, this.modelDirs);
    if (!loc.available) throw new UnavailableError(`offline model ${entry.id} needs the VAD: ${loc.reason}`, 'model_unavailable');
    return `${loc.dir}/${vad.files.model}`;
  }

  /** The model a session gets when it names none: the configured one, else the first streaming model on disk. */
  defaultModel(configured: string | undefined): string {
    if (configured) return configured;
    const onDisk = catalog.find((m) => m.kind === 'streaming' && locateModel(m, this.modelDirs).available);
    return (onDisk ?? catalog.find((m) => m.kind === 'streaming')!).id;
  }

  list(): ModelInfo[] {
    return catalog.map((m) => {
      const loc = locateModel(m, this.modelDirs);
      const engine = this.engines.get(m.id);
      return {
        id: m.id,
        kind: m.kind,
        language: m.language,
        description: m.description,
        available: loc.available,
        loaded: engine?.status === 'ready',
        status: engine?.status ?? (loc.available ? 'unloaded' : 'missing'),
        size_bytes: loc.available ? loc.sizeBytes : null,
        error: engine?.lastError ?? (loc.available ? null : loc.reason),
      };
    });
  }

  engineCount(): number {
    return [...this.engines.values()].filter((e) => e.status === 'ready').length;
  }

  stopAll(): void {
    for (const e of this.engines.values()) e.stop();
    this.engines.clear();
  }
}
