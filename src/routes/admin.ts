import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';
import { callerOf, requireAdmin } from '../auth/principal';
import { KeySchema, Name, Password, UserSchema } from '../auth/routes';
import type { Users } from '../auth/users';
import type { EngineRegistry } from '../engine/registry';
import { NotFoundError } from '../errors';
import type { Metrics } from '../ops/metrics';

const Role = t.Union([t.Literal('admin'), t.Literal('user')], { error: 'role must be admin or user' });
const UserId = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

/** `/api/v1/admin/*`: users, keys, KPIs and engine workers, for the admin role only. */
export const adminRoutes = (db: Database, users: Users, registry: EngineRegistry, metrics: Metrics) =>
  new Elysia({ name: 'admin', prefix: '/api/v1/admin' })
    .onBeforeHandle(({ request }) => requireAdmin(callerOf(request)))
    .get('/users', () => ({ users: users.list() }), {
      response: t.Object({ users: t.Array(UserSchema) }),
      detail: { summary: 'Every user', tags: ['admin'] },
    })
    .post(
      '/users',
      async ({ body, set }) => {
        set.status = 201;
        return users.create(body.name, body.password, body.role ?? 'user');
      },
      {
        body: t.Object({ name: Name, password: Password, role: t.Optional(Role) }),
        response: { 201: UserSchema },
        detail: { summary: 'Create a user', tags: ['admin'] },
      },
    )
    .patch(
      '/users/:id',
      async ({ params, body }) => {
        if (body.role !== undefined) await users.setRole(params.id, body.role);
        if (body.disabled !== undefined) await users.setDisabled(params.id, body.disabled);
        const user = users.byId(params.id);
        if (!user) throw new NotFoundError(`no user ${params.id}`, 'unknown_user');
        return user;
      },
      {
        params: UserId,
        body: t.Object({ role: t.Optional(Role), disabled: t.Optional(t.Boolean({ error: 'disabled must be true or false' })) }, { minProperties: 1, error: 'send role and/or disabled' }),
        response: UserSchema,
        detail: { summary: "Change a user's role, or disable / re-enable them (a disabled user's tokens and keys stop working at once)", tags: ['admin'] },
      },
    )
    .get('/keys', () => ({ keys: users.keys(undefined) }), {
      response: t.Object({ keys: t.Array(KeySchema) }),
      detail: { summary: 'Every API key (revoke with DELETE /api/v1/auth/keys/{id})', tags: ['admin'] },
    })
    .get(
      '/kpis',
      async () => {
        const totals = db.query('SELECT COUNT(*) AS sessions, COALESCE(SUM(audio_ms), 0) AS audio_ms, COALESCE(SUM(segments), 0) AS finals FROM sessions').get() as { sessions: number; audio_ms: number; finals: number };
        const cpu = process.cpuUsage();
        return {
          sessions: totals.sessions,
          audio_hours: totals.audio_ms / 3_600_000,
          finals: totals.finals,
          mean_rtf: await metrics.meanRtf(),
          cpu_seconds: (cpu.user + cpu.system) / 1e6,
          rss_bytes: process.memoryUsage.rss(),
          uptime_s: Math.round(process.uptime()),
        };
      },
      {
        response: t.Object({
          sessions: t.Integer(),
          audio_hours: t.Number(),
          finals: t.Integer(),
          mean_rtf: t.Record(t.String(), t.Number(), { description: 'decode time over audio time per model, since start' }),
          cpu_seconds: t.Number(),
          rss_bytes: t.Integer(),
          uptime_s: t.Integer(),
        }),
        detail: { summary: 'Usage and resource figures', tags: ['admin'] },
      },
    )
    .get('/workers', () => ({ models: registry.loaded().map(({ modelId, status, workers }) => ({ model_id: modelId, status, workers: workers.map((w) => ({ ...w })) })) }), {
      response: t.Object({ models: t.Array(t.Object({ model_id: t.String(), status: t.String(), workers: t.Array(t.Object({ index: t.Integer(), status: t.String(), streams: t.Integer(), pid: t.Union([t.Integer(), t.Null()], { description: 'the engine process (VOXLOG_ENGINE_HOST=process)' }) })) })) }),
      detail: { summary: 'Engine workers per loaded model, live', tags: ['admin'] },
    });
