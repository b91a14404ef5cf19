import { api, ApiError, getToken, onSignedOut, setToken } from './api';
import type { Me } from './types';

/** Who is signed in: `null` while asking, 'signed-out' when the server wants a sign-in. */
export type Who = Me | null | 'signed-out';

/** Asks the server who the stored token (or none, when auth is off) belongs to. */
export async function whoAmI(): Promise<Me | 'signed-out'> {
  try {
    const me = await api<Me>('/api/v1/auth/me');
    if (me.role !== 'anonymous') return me;
    setToken(null);
    return 'signed-out';
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      if (getToken()) setToken(null);
      return 'signed-out';
    }
    throw err;
  }
}

/** Signs in with the OAuth2 password form; keeps the token for API calls and WebSocket upgrades. */
export async function signIn(username: string, password: string): Promise<void> {
  const body = new URLSearchParams({ username, password, grant_type: 'password' });
  const res = await api<{ access_token: string }>('/api/v1/auth/token', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  setToken(res.access_token);
}

export function signOut(): void {
  setToken(null);
}

export { onSignedOut };
