import { Elysia, t } from 'elysia';
import type { EventStore } from '../../events/store';
import { eventTypes, type RecordedEvent } from '../../events/types';
import { RecordedEventSchema, toJson } from './sessions';

/** How often an idle live tail sends a comment so proxies keep the connection. */
const HEARTBEAT_MS = 15_000;

const EventType = t.Optional(t.Union(eventTypes.map((e) => t.Literal(e)), { error: `type must be one of ${eventTypes.join(', ')}` }));
const After = t.Integer({ minimum: 0, default: 0, error: 'after must be a non-negative position' });

/** The global feed of the log, paged by position, and a live tail over Server-Sent Events. */
export const eventRoutes = (store: EventStore) =>
  new Elysia({ name: 'events', prefix: '/api/v1' })
    .get(
      '/events',
      ({ query }) => {
        const events = store.readAll(query.after, query.limit, query.type ? [query.type] : undefined);
        return { events: events.map(toJson), next_after: events.at(-1)?.position ?? query.after };
      },
      {
        query: t.Object({ after: After, limit: t.Integer({ minimum: 1, maximum: 5000, default: 1000, error: 'limit must be an integer from 1 to 5000' }), type: EventType }),
        response: t.Object({ events: t.Array(RecordedEventSchema), next_after: t.Integer() }),
        detail: { summary: 'All events after a global position, in commit order', tags: ['events'] },
      },
    )
    .get('/events/stream', ({ query, request }) => liveTail(store, query.after, query.type, request.signal), {
      query: t.Object({ after: After, type: EventType }),
      detail: {
        summary: 'Live tail: events after `after` (or Last-Event-ID), then each new one as it commits (text/event-stream)',
        tags: ['events'],
      },
    });

/** Streams the backlog after `after`, then new events, with no gap or repeat between the two. */
function liveTail(store: EventStore, after: number, type: string | undefined, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let last = after;
      const send = (e: RecordedEvent) => {
        if (e.position <= last) return;
        last = e.position;
        if (type && e.type !== type) return;
        controller.enqueue(encoder.encode(`id: ${e.position}\nevent: ${e.type}\ndata: ${JSON.stringify(toJson(e))}\n\n`));
      };
      // Subscribe first and hold live events until the backlog is out, so none falls between.
      let held: RecordedEvent[] | undefined = [];
      const unsubscribe = store.subscribe((e) => (held ? held.push(e) : send(e)));
      for (let page = store.readAll(last, 1000); page.length > 0; page = store.readAll(last, 1000)) page.forEach(send);
      held.forEach(send);
      held = undefined;
      const heartbeat = setInterval(() => controller.enqueue(encoder.encode(': keepalive\n\n')), HEARTBEAT_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
      };
      signal.addEventListener('abort', () => {
        cleanup();
        controller.close();
      });
    },
    cancel: () => cleanup(),
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' } });
}
