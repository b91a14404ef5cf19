/** A JSON API client for one server: `call('POST', '/api/v1/items', body)` → status and parsed body. */
export function jsonClient(baseUrl: string, token?: string, tls?: { ca: string }) {
  return async <T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const init: RequestInit = { method, headers, ...(tls ? { tls } : {}) };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) (headers['content-type'] = 'application/json'), (init.body = JSON.stringify(body));
    const r = await fetch(`${baseUrl}${path}`, init);
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: r.status, body: parsed as T, headers: r.headers };
  };
}

/** Signs in with a password (the OAuth2 form `POST /api/v1/auth/token` takes) and returns the access token. */
export async function signIn(baseUrl: string, name: string, password: string, tls?: { ca: string }): Promise<string> {
  const r = await fetch(`${baseUrl}/api/v1/auth/token`, { method: 'POST', body: new URLSearchParams({ username: name, password, grant_type: 'password' }), ...(tls ? { tls } : {}) });
  return ((await r.json()) as { access_token: string }).access_token;
}
