import { Elysia } from 'elysia';
import { NotFoundError } from '../errors';
import { bundleUi, type UiAsset } from './bundle';
import { prebuilt } from './prebuilt';

/** Paths the web UI answers: its pages (the app routes in the browser) and its assets under /ui/. */
export const UI_PATH = /^\/(|live|sessions|sessions\/[\w-]+|dictation|jobs|stats|admin|sign-in|ui\/[\w.-]+)$/;

// The app may only talk to this server: no other host, no inline script; media and downloads come as blobs.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const ICON = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f5f8b"/><path d="M3 8h2M6 5v6M9 3v10M12 6v4" stroke="#fff" stroke-width="1.6" stroke-linecap="round"/></svg>')}`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>voxlog</title>
  <link rel="icon" href="${ICON}">
  <link rel="stylesheet" href="/ui/main.css">
</head>
<body>
  <div id="app"><noscript>voxlog's web app needs JavaScript; the API is documented at <a href="/swagger">/swagger</a>.</noscript></div>
  <script type="module" src="/ui/main.js"></script>
</body>
</html>`;

const PAGE_ETAG = `"${Bun.hash(PAGE).toString(36)}"`;
const COMMON = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' };

const gzipped = new Map<string, Uint8Array<ArrayBuffer>>();

function answer(request: Request, body: string, type: string, etag: string, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { ...COMMON, etag, 'content-type': type, vary: 'accept-encoding', ...extra };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  if (!/\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')) return new Response(body, { headers });
  // Compressed once per file and kept: the bundle is about a third of its size gzipped.
  let packed = gzipped.get(etag);
  if (!packed) gzipped.set(etag, (packed = Bun.gzipSync(body)));
  return new Response(packed, { headers: { ...headers, 'content-encoding': 'gzip' } });
}

/**
 * The web app at `/`: one HTML page for every app route, and the bundled script, styles and microphone
 * worklet under `/ui/`. From source the UI is bundled on the first request (a few hundred ms), then kept.
 */
export function uiRoutes() {
  let assets: Promise<Map<string, UiAsset>> | null = null;
  const load = () => {
    assets ??= (prebuilt ? Promise.resolve(prebuilt) : bundleUi()).then((list) => new Map(list.map((a) => [a.name, a])));
    // A failed build is tried again on the next request rather than remembered.
    assets.catch(() => (assets = null));
    return assets;
  };
  const page = ({ request }: { request: Request }) => answer(request, PAGE, 'text/html; charset=utf-8', PAGE_ETAG, { 'content-security-policy': CSP, 'x-frame-options': 'DENY' });
  const detail = { hide: true };
  return new Elysia({ name: 'ui' })
    .get('/', page, { detail })
    .get('/live', page, { detail })
    .get('/sessions', page, { detail })
    .get('/sessions/:id', page, { detail })
    .get('/dictation', page, { detail })
    .get('/jobs', page, { detail })
    .get('/stats', page, { detail })
    .get('/admin', page, { detail })
    .get('/sign-in', page, { detail })
    .get(
      '/ui/:file',
      async ({ params, request }) => {
        const asset = (await load()).get(params.file);
        if (!asset) throw new NotFoundError(`no UI file ${params.file}`);
        return answer(request, asset.body, asset.type, asset.etag);
      },
      { detail },
    );
}
