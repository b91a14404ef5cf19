// Deepgram-compatible `/v1/listen`: live over WebSocket and files over POST. An app built on a
// Deepgram SDK works against voxlog by changing its base URL; its sessions and jobs land in the
// same log and views as native ones.
import type { Database } from 'bun:sqlite';
import { Elysia } from 'elysia';
import { findModel } from '../../../models/catalog';
import type { JobService } from '../../jobs/service';
import type { TranscribeDeps } from '../../server/ws';
import { deepgramFile } from './file';
import { deepgramFlux } from './flux';
import { deepgramLive } from './live';
import type { ModelInfo } from './results';

export function deepgramRoutes(deps: TranscribeDeps, o: { db: Database; jobs: JobService; dataDir: string; maxUploadBytes: number; version: string }) {
  const catalog = deps.registry.catalog;
  const describe = (modelId: string): ModelInfo => {
    const entry = findModel(modelId || deps.defaultModel, catalog);
    return { name: entry?.id ?? modelId, version: o.version, arch: `sherpa-onnx-${entry?.sherpa ?? entry?.kind ?? 'unknown'}` };
  };
  return new Elysia({ name: 'deepgram' })
    .use(deepgramLive(deps, describe))
    .use(deepgramFlux(deps))
    .use(deepgramFile({ db: o.db, jobs: o.jobs, catalog, dataDir: o.dataDir, maxUploadBytes: o.maxUploadBytes, describe }));
}
