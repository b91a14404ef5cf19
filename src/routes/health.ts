import type { Database } from 'bun:sqlite';
import { statfsSync } from 'node:fs';
import { Elysia, t } from 'elysia';
import type { EngineRegistry } from '../engine/registry';

/** `GET /health`: whether the database answers, where models are looked for, engines loaded, free disk. */
export const healthRoutes = (db: Database, registry: EngineRegistry, dataDir: string, modelDirs: readonly string[], version: string) =>
  new Elysia({ name: 'health' })
    .get(
      '/health',
      ({ set }) => {
        let database = 'ok';
        try {
          db.query('SELECT 1').get();
        } catch (err) {
          database = `error: ${String(err)}`;
        }
        const fs = statfsSync(dataDir);
        const ok = database === 'ok';
        if (!ok) set.status = 503;
        return {
          status: ok ? 'ok' : 'degraded',
          database,
          model_dirs: [...modelDirs],
          models_available: registry.list().filter((m) => m.available).length,
          engines_loaded: registry.engineCount(),
          disk_free_bytes: fs.bavail * fs.bsize,
        };
      },
      { detail: { summary: 'Service health', tags: ['ops'] } },
    )
    .get('/api/v1/version', () => ({ version, bun: Bun.version }), {
      response: t.Object({ version: t.String(), bun: t.String() }),
      detail: { summary: 'Server version', tags: ['ops'] },
    });
