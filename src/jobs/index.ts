// Batch transcription jobs (seeds "STT jobs guide" and "Whisper transcription service"): uploads,
// a durable priority queue, VAD chunking across the engine pool, retries and a dead-letter state,
// subtitles, live progress, retention, and the OpenAI-compatible endpoint over the same path.
import type { Database } from 'bun:sqlite';
import { Elysia, type AnyElysia } from 'elysia';
import type { EventStore } from '../../events/store';
import type { Config } from '../config';
import type { EngineRegistry } from '../engine/registry';
import { openAiRoutes } from './openai';
import { jobLiveRoutes } from './live-routes';
import { jobRoutes } from './routes';
import { JobService } from './service';

export interface Jobs {
  readonly routes: AnyElysia;
  readonly service: JobService;
}

export function jobs(config: Config, db: Database, store: EventStore, registry: EngineRegistry, defaultModel: string): Jobs {
  const service = new JobService({ db, store, registry, defaultModel, dataDir: config.filesDir, config: config.jobs, node: config.nodeId, leaseMs: config.nodeLeaseMs });
  const max = config.jobs.maxUploadBytes;
  // Both upload routes skip Elysia's body parsing: the gate refuses a declared length over the limit
  // before any of the body is read, and receiveMultipart streams the rest to disk, counting it.
  const routes = new Elysia({ name: 'jobs-slice' })
    .use(jobRoutes(db, service, config.filesDir, max))
    .use(jobLiveRoutes(db, store, service))
    .use(openAiRoutes(db, service, registry, config.filesDir, max));
  return { routes, service };
}
