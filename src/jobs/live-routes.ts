import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';
import type { EventStore } from '../../events/store';
import { protocolToken } from '../auth/authenticator';
import { callerOf, requireAdmin } from '../auth/principal';
import { idParams } from '../routes/paging';
import { followJob } from './live';
import type { JobService } from './service';

/** Server-Sent Events of a job's live feed (the same messages as its WebSocket). */
function sse(store: EventStore, db: Database, id: string, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  const feed = followJob(store, db, id, signal);
  let beat: Timer | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        beat = setInterval(() => controller.enqueue(encoder.encode(': keepalive\n\n')), 15_000);
      },
      async pull(controller) {
        const next = await feed.next();
        if (next.done) return void (clearInterval(beat), controller.close());
        controller.enqueue(encoder.encode(`event: ${next.value.type}\ndata: ${JSON.stringify(next.value)}\n\n`));
      },
      cancel: () => void (clearInterval(beat), feed.return(undefined)),
    },
    { highWaterMark: 1 },
  );
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' } });
}

/** A job's live feed over SSE and WebSocket, and the admin settings of the queue. */
export const jobLiveRoutes = (db: Database, store: EventStore, jobs: JobService) => {
  /** Each open socket's feed, stopped when the socket closes. */
  const feeds = new Map<string, AbortController>();
  return new Elysia({ name: 'jobs-live' })
    .get('/api/v1/jobs/:id/events', ({ params, request }) => {
      jobs.get(callerOf(request), params.id);
      return sse(store, db, params.id, request.signal);
    }, {
      params: idParams('job'),
      query: t.Object({ token: t.Optional(t.String({ description: 'credential for browsers (EventSource cannot set headers)' })) }),
      detail: { summary: 'Live progress and log lines (text/event-stream): job, log, progress, end', tags: ['jobs'] },
    })
    .ws('/ws/jobs/:id', {
      params: idParams('job'),
      // A browser offering `token, <credential>` as the subprotocol must hear `token` back.
      upgrade({ request, set }) {
        if (protocolToken(request.headers.get('sec-websocket-protocol'))) set.headers['sec-websocket-protocol'] = 'token';
      },
      open(ws) {
        try {
          jobs.get(callerOf(ws.data.request), ws.data.params.id);
        } catch (err) {
          ws.send(JSON.stringify({ type: 'error', message: (err as Error).message }));
          return void ws.close(1008, 'job not found');
        }
        const abort = new AbortController();
        feeds.set(ws.id, abort);
        void (async () => {
          for await (const m of followJob(store, db, ws.data.params.id, abort.signal)) ws.send(JSON.stringify(m));
          ws.close(1000, 'job finished');
        })().catch(() => ws.close(1011, 'feed failed'));
      },
      close(ws) {
        feeds.get(ws.id)?.abort();
        feeds.delete(ws.id);
      },
    })
    .group('/api/v1/admin', (admin) =>
      admin
        .onBeforeHandle(({ request }) => requireAdmin(callerOf(request)))
        .get('/concurrency', () => ({ max_concurrent_jobs: jobs.settings().max_concurrent_jobs }), {
          response: t.Object({ max_concurrent_jobs: t.Integer() }),
          detail: { summary: 'Jobs run at once', tags: ['admin'] },
        })
        .put('/concurrency', async ({ body, request }) => ({ max_concurrent_jobs: (await jobs.updateSettings(callerOf(request), { max_concurrent_jobs: body.max_concurrent_jobs })).max_concurrent_jobs }), {
          body: t.Object({ max_concurrent_jobs: t.Integer({ minimum: 0, maximum: 64, error: 'max_concurrent_jobs must be an integer from 0 (pause) to 64' }) }),
          response: t.Object({ max_concurrent_jobs: t.Integer() }),
          detail: { summary: 'Change how many jobs run at once, now and after restarts (0 pauses the queue; running jobs finish)', tags: ['admin'] },
        })
        .get('/retention', () => ({ cleanup_days: jobs.settings().cleanup_days }), {
          response: t.Object({ cleanup_days: t.Integer() }),
          detail: { summary: 'Days a finished job keeps its upload and results', tags: ['admin'] },
        })
        .put('/retention', async ({ body, request }) => ({ cleanup_days: (await jobs.updateSettings(callerOf(request), { cleanup_days: body.cleanup_days })).cleanup_days }), {
          body: t.Object({ cleanup_days: t.Integer({ minimum: 1, maximum: 36_500, error: 'cleanup_days must be an integer from 1 to 36500' }) }),
          response: t.Object({ cleanup_days: t.Integer() }),
          detail: { summary: 'Change the retention of finished jobs (the next sweep, hourly, applies it)', tags: ['admin'] },
        }),
    );
};
