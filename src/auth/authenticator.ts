import type { TokenIssuer } from './tokens';
import { OPEN_ACCESS, type Principal } from './principal';
import type { Users } from './users';

export type AuthOutcome = Principal | { readonly problem: string; readonly status: 401 | 403; readonly code: string } | null;

/** Routes a browser cannot add headers to (EventSource): they take the credential as `?token=`. */
const QUERY_TOKEN_PATHS = new Set(['/api/v1/events/stream']);
const takesQueryToken = (path: string): boolean => QUERY_TOKEN_PATHS.has(path) || /^\/api\/v1\/jobs\/[^/]+\/events$/.test(path);

/**
 * The credential a request presents: `Authorization: Bearer …`, `Token …` (Deepgram's form) or the bare credential (AssemblyAI's), a
 * `Sec-WebSocket-Protocol: token, …` offer, or `?token=` on a WebSocket upgrade or an SSE feed.
 */
export function presentedCredential(request: Request, url: URL): string | null {
  const header = request.headers.get('authorization');
  // A bare credential is AssemblyAI's form (`Authorization: <API key>`).
  if (header !== null) return /^(?:(?:bearer|token)\s+)?(\S+)$/i.exec(header.trim())?.[1] ?? '';
  const upgrade = request.headers.get('upgrade')?.toLowerCase() === 'websocket';
  if (upgrade) {
    const offered = protocolToken(request.headers.get('sec-websocket-protocol'));
    if (offered) return offered;
  }
  if (upgrade || takesQueryToken(url.pathname)) return url.searchParams.get('token');
  return null;
}

/**
 * `token, <credential>` (or `bearer, <credential>`) as offered in Sec-WebSocket-Protocol: how browsers
 * and Deepgram's SDKs in a browser send it.
 */
export function protocolToken(header: string | null): string | null {
  return offeredProtocol(header)?.credential ?? null;
}

/** The scheme offered first (to echo back, or the browser fails the handshake) and its credential. */
export function offeredProtocol(header: string | null): { scheme: string; credential: string } | null {
  const parts = header?.split(',').map((p) => p.trim()) ?? [];
  const scheme = parts[0]?.toLowerCase();
  return (scheme === 'token' || scheme === 'bearer') && parts[1] ? { scheme: parts[0]!, credential: parts[1] } : null;
}

/** Turns a request's credential into a principal: a JWT access token or an API key. */
export class Authenticator {
  constructor(
    readonly enabled: boolean,
    private readonly users: Users,
    private readonly tokens: TokenIssuer,
  ) {}

  /** The caller; null when no credential was presented (and auth is on). */
  async resolve(request: Request, url: URL): Promise<AuthOutcome> {
    if (!this.enabled) return OPEN_ACCESS;
    return this.resolveCredential(presentedCredential(request, url));
  }

  /** The principal a credential stands for (a protocol that carries it outside HTTP, e.g. Wyoming's configured key). */
  async resolveCredential(credential: string | null): Promise<AuthOutcome> {
    if (!this.enabled) return OPEN_ACCESS;
    if (credential === null) return null;
    if (credential === '') return { problem: 'Authorization must be "Bearer <token>", "Token <API key>" or the API key alone', status: 401, code: 'invalid_credentials' };
    if (credential.startsWith('vox_')) {
      const found = this.users.checkKey(credential);
      if (!found) return { problem: 'the API key is not valid or was revoked', status: 401, code: 'invalid_credentials' };
      return { userId: found.user.id, name: found.user.name, role: found.user.role, via: 'api_key', scopes: found.key.scopes, keyId: found.key.id };
    }
    const verified = await this.tokens.verify(credential);
    if ('problem' in verified) return { problem: verified.problem, status: 401, code: 'invalid_credentials' };
    const user = this.users.byId(verified.userId);
    if (!user) return { problem: 'the token names a user that does not exist', status: 401, code: 'invalid_credentials' };
    if (user.disabled) return { problem: `user ${user.name} is disabled`, status: 403, code: 'user_disabled' };
    return { userId: user.id, name: user.name, role: user.role, via: 'jwt', scopes: ['all'] };
  }
}
