import { statfsSync } from 'node:fs';
import { Elysia, t } from 'elysia';
import { remembered } from '../auth/principal';
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

/** What anyone may learn: up or down, and why in general terms; nothing about paths, nodes or models. */
const PUBLIC_FIELDS = { event_log: t.Union([t.Literal('ok'), t.Literal('failing')]), reason: t.Union([t.String(), t.Null()]) };

const Status = t.Union([t.Literal('ok'), t.Literal('degraded')]);
const HealthSchema = t.Union([t.Object({ status: Status, ...HEALTH_FIELDS }), t.Object({ status: Status, ...PUBLIC_FIELDS })]);

/**
 * `GET /health`: 200 only when the event log takes writes; says what is wrong otherwise (503). An
 * admin (or anyone, with auth off) gets the details; other callers get up/down and why.
 */
export const healthRoutes = (log: LogHealth, registry: EngineRegistry, dataDir: string, modelDirs: readonly string[], version: string, node: { id: string; store: 'sqlite' | 'postgresql' }) =>
  new Elysia({ name: 'health' })
    .get(
      '/health',
      ({ set, request }) => {
        const problem = log.status();
        if (problem) set.status = 503;
        const status = problem ? ('degraded' as const) : ('ok' as const);
        if (remembered(request).role !== 'admin') return { status, event_log: problem ? ('failing' as const) : ('ok' as const), reason: problem ? 'the event log cannot take writes' : null };
        let diskFree: number | null = null;
        try {
          const fs = statfsSync(dataDir);
          diskFree = fs.bavail * fs.bsize;
        } catch {
          // The directory itself is gone; the log check above already says so.
        }
        return {
          status,
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
          200: HealthSchema,
          503: HealthSchema,
        },
        detail: {
          summary: 'Service health: 503 when the event log cannot take writes (a real write probe, checked every 2 s)',
          description: 'Admins (and every caller when auth is off) get the details: the log, its store, the node, model directories, engines, free disk. Anyone else gets status, event_log and a reason.',
          tags: ['ops'],
        },
      },
    )
    .get('/api/v1/version', () => ({ version, bun: Bun.version }), {
      response: t.Object({ version: t.String(), bun: t.String() }),
      detail: { summary: 'Server version', tags: ['ops'] },
    });
