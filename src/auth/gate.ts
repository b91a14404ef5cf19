import { Elysia } from 'elysia';
import { bare } from '../config';
import { errorBody, ForbiddenError, UnauthorizedError } from '../errors';
import { refuseBody, type BodyBounds } from '../limits/bodies';
import { KeyedBuckets } from '../limits/token-bucket';
import type { Authenticator } from './authenticator';
import { TWILIO_PATH } from '../protocols/twilio';
import { UI_PATH } from '../ui/routes';
import { ANONYMOUS, rememberCaller } from './principal';

export interface GateOptions {
  readonly auth: Authenticator;
  /** Host header values served; empty serves any. */
  readonly allowedHosts: readonly string[];
  /** Origins whose pages may open sockets or send writes (the CORS list); same-origin pages always may. */
  readonly corsOrigins: readonly string[];
  readonly httpRequestsPerMinute: number;
  /** How much body each route takes: checked before any of it is read. */
  readonly bodies: BodyBounds;
  /** Counts what was turned away, by reason (for /metrics). */
  readonly onRejected?: (reason: string) => void;
}

/** Routes anyone may call: health, version, the API docs, and signing in. */
const PUBLIC = /^\/(health|api\/v1\/version|api\/v1\/auth\/(token|register)|swagger(\/.*)?)$/;

const WHO_AM_I = '/api/v1/auth/me';

const refuse = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(errorBody(code, message)), { status, headers: { 'content-type': 'application/json', ...headers } });

/**
 * Every request passes here first: the Host must be one this server answers to (DNS rebinding),
 * a page from a foreign Origin may not open sockets or write, each client address has a request
 * rate, and the caller's credential is checked before any route runs.
 */
export function gate(o: GateOptions) {
  const rate = new KeyedBuckets(o.httpRequestsPerMinute, o.httpRequestsPerMinute / 60);
  const hosts = new Set(o.allowedHosts);
  const origins = new Set(o.corsOrigins.map((u) => new URL(u).origin));
  const reject = (reason: string, response: Response) => (o.onRejected?.(reason), response);
  return new Elysia({ name: 'gate' })
    .onRequest(({ request, server }) => {
      const host = bare(request.headers.get('host')?.toLowerCase() ?? '');
      if (hosts.size > 0 && !hosts.has(host)) {
        return reject('bad_host', refuse(421, 'misdirected_request', `this server does not answer to host ${JSON.stringify(host)} (VOXLOG_ALLOWED_HOSTS)`));
      }
      const origin = request.headers.get('origin');
      const upgrade = request.headers.get('upgrade')?.toLowerCase() === 'websocket';
      if (origin !== null && (upgrade || !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) && !sameOrigin(origin, request) && !origins.has(origin)) {
        return reject('bad_origin', refuse(403, 'origin_not_allowed', `pages from ${origin} may not use this server (VOXLOG_CORS_ORIGINS)`));
      }
      const body = refuseBody(request, new URL(request.url).pathname, o.bodies);
      if (body) {
        o.onRejected?.('body_size');
        throw body;
      }
      const ip = server?.requestIP(request)?.address ?? 'unknown';
      const taken = rate.take(ip, performance.now());
      if (!taken.ok) {
        return reject('http_rate', refuse(429, 'rate_limited', `more than ${o.httpRequestsPerMinute} requests a minute from ${ip}`, { 'retry-after': String(taken.retryAfterS) }));
      }
    })
    .onBeforeHandle({ as: 'global' }, async ({ request, path }) => {
      const url = new URL(request.url);
      const outcome = await o.auth.resolve(request, url);
      // The web app's pages and files hold no data, so they are public too. Asking who you are with no credential
      // at all is answered (anonymous, 200), so a page can tell whether to offer a sign-in. Twilio's media
      // streams cannot carry a credential on the upgrade: the stream authenticates in its start frame.
      const isPublic = PUBLIC.test(path) || UI_PATH.test(path) || path === TWILIO_PATH || (outcome === null && path === WHO_AM_I);
      if (outcome === null || 'problem' in outcome) {
        if (isPublic) return void rememberCaller(request, ANONYMOUS);
        o.onRejected?.('auth');
        if (outcome === null) throw new UnauthorizedError('sign in first: send Authorization: Bearer <token> or Token <API key> (POST /api/v1/auth/token)');
        throw outcome.status === 403 ? new ForbiddenError(outcome.problem, outcome.code) : new UnauthorizedError(outcome.problem, outcome.code);
      }
      if (!outcome.scopes.includes('all') && path !== '/metrics') throw new ForbiddenError(`this API key may only be used for ${outcome.scopes.join(', ')}`, 'key_scope');
      rememberCaller(request, outcome);
    });
}

/** A page served by this very server (same scheme-less host and port). */
function sameOrigin(origin: string, request: Request): boolean {
  try {
    return new URL(origin).host === request.headers.get('host');
  } catch {
    return false;
  }
}
