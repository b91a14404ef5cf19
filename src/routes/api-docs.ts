import { swagger } from '@elysiajs/swagger';
import { Elysia } from 'elysia';
// Embedded in the single binary by `bun build --compile`; served from disk when run from source.
import bundleJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import uiCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import favicon from 'swagger-ui-dist/favicon-32x32.png' with { type: 'file' };

const ASSETS: Record<string, { path: string; type: string }> = {
  'swagger-ui-bundle.js': { path: bundleJs, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: uiCss, type: 'text/css; charset=utf-8' },
  'favicon-32x32.png': { path: favicon, type: 'image/png' },
};

export interface ApiDocsOptions {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** The OpenAPI `servers`; the array is read on every request, so it can be filled in after binding. */
  readonly servers: { url: string }[];
}

/** Swagger UI that works with no internet: the page, its script and styles all come from this server. */
const page = (title: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} API reference</title>
  <link rel="icon" type="image/png" href="/swagger/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/swagger/json', dom_id: '#swagger-ui', validatorUrl: null, deepLinking: true });
  </script>
</body>
</html>`;

/**
 * `GET /swagger` (Swagger UI) and `GET /swagger/json` (the OpenAPI document). The document comes from
 * @elysiajs/swagger; its own page loads scripts from a CDN, so `/swagger` is answered here first.
 */
export function apiDocs(o: ApiDocsOptions) {
  const html = page(o.title);
  return new Elysia({ name: 'api-docs' })
    .onRequest(({ request }) => {
      if (request.method !== 'GET') return;
      const path = new URL(request.url).pathname;
      if (path === '/swagger' || path === '/swagger/') return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    })
    .use(
      swagger({
        path: '/swagger',
        specPath: '/swagger/json',
        documentation: {
          info: { title: o.title, version: o.version, description: o.description },
          servers: o.servers,
          components: {
            securitySchemes: {
              // The OAuth2 password flow lets Swagger UI's Authorize button sign in with a user name and password.
              oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/api/v1/auth/token', scopes: {} } } },
              bearer: { type: 'http', scheme: 'bearer', description: 'a JWT from /api/v1/auth/token, or an API key (vox_…)' },
            },
          },
          security: [{ oauth2: [] }, { bearer: [] }],
        },
      }),
    )
    .get(
      '/swagger/assets/:file',
      ({ params, set }) => {
        const asset = ASSETS[params.file];
        if (!asset) return (set.status = 404), { error: { code: 'not_found', message: `no asset ${params.file}` } };
        return new Response(Bun.file(asset.path), { headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' } });
      },
      { detail: { hide: true } },
    );
}
