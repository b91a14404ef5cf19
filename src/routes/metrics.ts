import { Elysia } from 'elysia';
import { callerOf } from '../auth/principal';
import { ForbiddenError } from '../errors';
import type { Metrics } from '../ops/metrics';

/** `GET /metrics`: Prometheus text, for an admin or an API key with the `metrics` scope. */
export const metricsRoutes = (metrics: Metrics) =>
  new Elysia({ name: 'metrics' }).get(
    '/metrics',
    async ({ request }) => {
      const p = callerOf(request);
      if (p.role !== 'admin' && !p.scopes.includes('metrics')) throw new ForbiddenError('metrics need the admin role or an API key with the metrics scope', 'admin_only');
      return new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } });
    },
    { detail: { summary: 'Prometheus metrics (admin, or an API key with the metrics scope)', tags: ['ops'] } },
  );
