import { statfsSync } from 'node:fs';
import { Elysia, t } from 'elysia';
import type { EngineRegistry } from '../engine/registry';
import type { LogHealth } from '../ops/log-health';

/** What `/health` reports besides its status, healthy or not. */
const HEALTH_FIELDS = {
  event_log: t.String(),
  database: t.String(),
  log_store: t.Union([t.Literal('sqlite'), t.Literal('postgresql')]),
  node: t.String(),
  model_dirs: t.Array(t.String()),
  models_available: t.Integer(),
  engines_loaded: t.Integer(),
  disk_free_bytes: t.Union([t.Integer(), t.Null()]),
};

/** `GET /health`: 200 only when the event log takes writes; says what is wrong otherwise (503). */
export const healthRoutes = (log: LogHealth, registry: EngineRegistry, dataDir: string, modelDirs: readonly string[], version: string, node: { id: string; store: 'sqlite' | 'postgresql' }) =>
  new Elysia({ name: 'health' })
    .get(
      '/health',
      ({ set }) => {
        const problem = log.status();
        if (problem) set.status = 503;
        let diskFree: number | null = null;
        try {
          const fs = statfsSync(dataDir);
          diskFree = fs.bavail * fs.bsize;
        } catch {
          // The directory itself is gone; the log check above already says so.
        }
        return {
          status: problem ? ('degraded' as const) : ('ok' as const),
          event_log: problem ?? 'ok',
          database: problem ? 'error' : 'ok',
          log_store: node.store,
          node: node.id,
          model_dirs: [...modelDirs],
          models_available: registry.list().filter((m) => m.available).length,
          engines_loaded: registry.engineCount(),
          disk_free_bytes: diskFree,
        };
      },
      {
        response: {
          200: t.Object({ status: t.Literal('ok'), ...HEALTH_FIELDS }),
          503: t.Object({ status: t.Literal('degraded'), ...HEALTH_FIELDS }),
        },
        detail: { summary: 'Service health: 503 when the event log cannot take writes (a real write probe, checked every 2 s)', tags: ['ops'] },
      },
    )
    .get('/api/v1/version', () => ({ version, bun: Bun.version }), {
      response: t.Object({ version: t.String(), bun: t.String() }),
      detail: { summary: 'Server version', tags: ['ops'] },
    });
