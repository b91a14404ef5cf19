import { Elysia } from 'elysia';
import type { Metrics } from './metrics';

type Fields = Record<string, string | number | boolean | null | undefined>;

/** One log line: JSON when VOXLOG_LOG_FORMAT=json, else `key=value` pairs after a message. */
export function logLine(format: 'text' | 'json', message: string, fields: Fields): string {
  if (format === 'json') return JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields });
  const pairs = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`);
  return `${message} ${pairs.join(' ')}`;
}

/** One line per HTTP request (method, route, status, time), and the request counter by route and status. */
export function requestLog(format: 'text' | 'json', metrics: Metrics) {
  const started = new WeakMap<Request, number>();
  return new Elysia({ name: 'request-log' })
    .onRequest(({ request }) => void started.set(request, performance.now()))
    .onAfterResponse({ as: 'global' }, ({ request, route, set, path }) => {
      const status = typeof set.status === 'number' ? set.status : 200;
      // The route pattern, not the path, so ids do not become label values without bound.
      const pattern = route || 'unmatched';
      metrics.http.inc({ route: pattern, status: String(status) });
      const ms = Math.round(performance.now() - (started.get(request) ?? performance.now()));
      console.log(logLine(format, 'request', { method: request.method, path, route: pattern, status, ms }));
    });
}

/** What a session's end is logged with. */
export interface SessionSummary {
  readonly session_id: string;
  readonly user_id: string | null;
  readonly model_id: string;
  readonly reason: string;
  readonly audio_ms: number;
  readonly segments: number;
  readonly duration_ms: number;
}

/** One line per session end. */
export const sessionLog = (format: 'text' | 'json') => (s: SessionSummary) => console.log(logLine(format, 'session ended', { ...s }));
