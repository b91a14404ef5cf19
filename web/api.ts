/** The REST API from the browser: the signed-in user's token on every call, errors as ApiError. */

const TOKEN_KEY = 'voxlog.token';

export const getToken = (): string | null => localStorage.getItem(TOKEN_KEY);
export function setToken(token: string | null): void {
  if (token === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

/** An error answer from the server, in its `{ error: { code, message } }` shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const signedOut = new Set<() => void>();
/** Called whenever the server answers 401: the token expired or was never valid. */
export function onSignedOut(listener: () => void): () => void {
  signedOut.add(listener);
  return () => signedOut.delete(listener);
}

export async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (res.status === 401) for (const l of signedOut) l();
  return new ApiError(res.status, body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? `${res.status} ${res.statusText}`);
}

export const authHeaders = (): Record<string, string> => {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
};

type Init = Omit<RequestInit, 'body'> & { readonly json?: unknown; readonly body?: BodyInit };

/** Calls the API and returns its JSON (or text) answer; throws ApiError on an error status. */
export async function api<T>(path: string, init: Init = {}): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) };
  const body = init.json === undefined ? init.body : JSON.stringify(init.json);
  const res = await fetch(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) }, body });
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return ((res.headers.get('content-type') ?? '').includes('json') ? res.json() : res.text()) as Promise<T>;
}

/** A file from the API as a Blob (audio, downloads): `<audio src>` and links cannot send the token. */
export async function apiBlob(path: string): Promise<Blob> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw await errorOf(res);
  return res.blob();
}

/** `?a=1&b=x` from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A WebSocket to this server; the token travels as the `token` subprotocol (browsers cannot set headers on upgrades). */
export function openSocket(path: string, params: Record<string, string | number | undefined>): WebSocket {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = getToken();
  return new WebSocket(`${scheme}://${location.host}${path}${query(params)}`, token ? ['token', token] : undefined);
}

/** An EventSource URL; EventSource cannot send headers, so the token goes in the query. */
export const feedUrl = (path: string): string => `${path}${query({ token: getToken() })}`;

/** Saves a blob as a file through a temporary link. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: fileName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
