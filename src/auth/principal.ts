import { ForbiddenError, UnauthorizedError } from '../errors';

export type Role = 'admin' | 'user';

/** Who is making a request, once their credentials have been checked. */
export interface Principal {
  /** null only when auth is off (then every caller may see everything, as before auth existed). */
  readonly userId: string | null;
  readonly name: string;
  readonly role: Role | 'anonymous';
  readonly via: 'jwt' | 'api_key' | 'open' | 'none';
  /** What an API key may do; a JWT may do everything its user may. */
  readonly scopes: readonly string[];
  /** The API key presented (via `api_key`): its revocation ends the connections it opened. */
  readonly keyId?: string;
}

/** Auth is off: the server trusts every caller, as a loopback-only server did before users existed. */
export const OPEN_ACCESS: Principal = { userId: null, name: 'local', role: 'admin', via: 'open', scopes: ['all'] };
/** No credentials on a route that needs none (health, docs, sign-in). */
export const ANONYMOUS: Principal = { userId: null, name: 'anonymous', role: 'anonymous', via: 'none', scopes: [] };

const callers = new WeakMap<Request, Principal>();

/** Remembers who made `request` (set once by the auth gate). */
export const rememberCaller = (request: Request, p: Principal): void => void callers.set(request, p);

/** The caller of a request that passed the gate; routes call this and hand the result to services. */
export function callerOf(request: Request): Principal {
  const p = callers.get(request);
  if (!p || p.role === 'anonymous') throw new UnauthorizedError('sign in first: send Authorization: Bearer <token or API key>');
  return p;
}

/** The caller of a request that passed the gate, anonymous included (for routes that answer anyone). */
export const remembered = (request: Request): Principal => callers.get(request) ?? ANONYMOUS;

/** The owner filter for reads: a user sees their own rows, an admin (or open access) sees all. */
export const ownerFilter = (p: Principal): string | undefined => (p.role === 'admin' ? undefined : p.userId ?? '');

/** Event metadata naming who owns what an event is about (none when auth is off): the owner-filtered event feed reads it. */
export const ownerMeta = (caller: Principal): { user_id?: string } => (caller.userId === null ? {} : { user_id: caller.userId });

/** Whether `p` may read or act on something owned by `ownerId`. */
export const mayAccess = (p: Principal, ownerId: string | null): boolean => p.role === 'admin' || (p.userId !== null && p.userId === ownerId);

export function requireAdmin(p: Principal): void {
  if (p.role !== 'admin') throw new ForbiddenError('this needs the admin role', 'admin_only');
}
