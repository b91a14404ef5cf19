import { Elysia, t } from 'elysia';
import { callerOf, ownerFilter } from '../auth/principal';
import type { EventStore } from '../../events/store';
import { eventTypes, type RecordedEvent } from '../../events/types';
import { RecordedEventSchema, toJson } from './sessions';

/** How often an idle live tail sends a comment so proxies keep the connection. */
const HEARTBEAT_MS = 15_000;
/** Events read from the log per chunk sent: what one subscriber can make the server hold. */
const PAGE = 500;
/** A subscriber that has not taken the last chunk for this long is closed instead of waited on. */
const STALL_MS = 60_000;
/** Largest position a client may name: beyond it SQLite's integer compare would be meaningless. */
const MAX_POSITION = Number.MAX_SAFE_INTEGER;

const EventType = t.Optional(t.Union(eventTypes.map((e) => t.Literal(e)), { error: `type must be one of ${eventTypes.join(', ')}` }));
const After = t.Integer({ minimum: 0, maximum: MAX_POSITION, default: 0, error: `after must be an integer position from 0 to ${MAX_POSITION}` });

export interface EventRouteOptions {
  /** Called when a live-tail subscriber opens (+1) or closes (-1). */
  readonly onSubscribers?: (delta: number) => void;
  readonly onRejected?: (reason: string) => void;
  readonly stallMs?: number;
}

/** The global feed of the log, paged by position, and a live tail over Server-Sent Events. */
export const eventRoutes = (store: EventStore, o: EventRouteOptions = {}) =>
  new Elysia({ name: 'events', prefix: '/api/v1' })
    .get(
      '/events',
      ({ query, request }) => {
        const events = store.readAll(query.after, query.limit, query.type ? [query.type] : undefined, ownerFilter(callerOf(request)));
        return { events: events.map(toJson), next_after: events.at(-1)?.position ?? query.after };
      },
      {
        query: t.Object({ after: After, limit: t.Integer({ minimum: 1, maximum: 5000, default: 1000, error: 'limit must be an integer from 1 to 5000' }), type: EventType }),
        response: t.Object({ events: t.Array(RecordedEventSchema), next_after: t.Integer() }),
        detail: { summary: 'All events after a global position, in commit order (a user sees only their own)', tags: ['events'] },
      },
    )
    .get(
      '/events/stream',
      ({ query, request, headers }) => {
        const resumeAt = Number(headers['last-event-id']);
        const after = Number.isSafeInteger(resumeAt) && resumeAt > query.after ? resumeAt : query.after;
        return liveTail(store, { after, type: query.type, owner: ownerFilter(callerOf(request)) }, request.signal, o);
      },
      {
        query: t.Object({ after: After, type: EventType, token: t.Optional(t.String({ description: 'credential for browsers (EventSource cannot set headers)' })) }),
        detail: {
          summary: 'Live tail: events after `after` (or Last-Event-ID), then each new one as it commits (text/event-stream)',
          tags: ['events'],
        },
      },
    );

/**
 * Streams the log after `after`, then new events as they commit, with no gap or repeat. It is
 * pull-driven: a page is read from the log only when the client has taken the previous one, so the
 * log itself is the buffer and memory does not grow with the backlog or with a slow reader.
 */
function liveTail(store: EventStore, q: { after: number; type?: string; owner?: string }, signal: AbortSignal, o: EventRouteOptions): Response {
  const encoder = new TextEncoder();
  const format = (e: RecordedEvent) => `id: ${e.position}\nevent: ${e.type}\ndata: ${JSON.stringify(toJson(e))}\n\n`;
  let last = q.after;
  let doorbell: (() => void) | undefined;
  let waitingSince: number | undefined;
  let done = false;
  const unsubscribe = store.subscribe(() => doorbell?.());
  const cleanup = () => {
    if (done) return;
    done = true;
    unsubscribe();
    clearInterval(watchdog);
    doorbell?.();
    o.onSubscribers?.(-1);
  };
  o.onSubscribers?.(1);
  let stop: (() => void) | undefined;
  const watchdog = setInterval(() => {
    if (waitingSince !== undefined && performance.now() - waitingSince > (o.stallMs ?? STALL_MS)) {
      o.onRejected?.('sse_stalled');
      stop?.();
    }
  }, 1_000);
  signal.addEventListener('abort', () => stop?.());
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stop = () => {
          cleanup();
          try {
            controller.close();
          } catch {
            // Already closed by the client.
          }
        };
      },
      async pull(controller) {
        waitingSince = undefined;
        // One page per turn of the event loop: a reader that takes pages as fast as they come would
        // otherwise be served from microtasks alone, and /health and live sessions would wait for
        // the whole backlog.
        await new Promise<void>((resolve) => setImmediate(resolve));
        while (!done) {
          const page = store.readAll(last, PAGE, q.type ? [q.type] : undefined, q.owner);
          if (page.length > 0) {
            last = page.at(-1)!.position;
            controller.enqueue(encoder.encode(page.map(format).join('')));
            waitingSince = performance.now();
            return;
          }
          // Caught up: sleep until something commits (read it from the log then) or send a heartbeat.
          const rang = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), HEARTBEAT_MS);
            doorbell = () => (clearTimeout(timer), (doorbell = undefined), resolve(true));
          });
          if (!rang && !done) {
            controller.enqueue(encoder.encode(': keepalive\n\n'));
            return;
          }
        }
      },
      cancel: () => cleanup(),
    },
    { highWaterMark: 1 },
  );
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' } });
}
