/**
 * `GET /docs`: Swagger UI rendering `/openapi.json`, served entirely from the local
 * swagger-ui-dist package (no CDN). The initializer is our own small script (the package's
 * default one points at the petstore demo), served from `/docs/init.js` so no inline script is
 * needed and a strict Content-Security-Policy holds.
 */
import express, { type RequestHandler, type Router } from 'express';
// Not the package's index: it loads the 2 MB browser bundles into Node just to export this.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path';

export interface DocsOptions {
  /** URL of the OpenAPI document, as the browser sees it. Default `/openapi.json`. */
  openApiUrl?: string;
  /** Page title. Default `API documentation`. */
  title?: string;
}

/** Files of swagger-ui-dist the page needs; nothing else of the package is exposed. */
export const DOCS_ASSETS = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
];

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(base: string, title: string): string {
  const asset = (name: string) => escapeHtml(`${base}/docs/assets/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${asset('swagger-ui.css')}">
  <link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" sizes="32x32">
  <link rel="icon" type="image/png" href="${asset('favicon-16x16.png')}" sizes="16x16">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${asset('swagger-ui-bundle.js')}"></script>
  <script src="${escapeHtml(`${base}/docs/init.js`)}"></script>
</body>
</html>
`;
}

function initScript(openApiUrl: string): string {
  return `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(openApiUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
  });
});
`;
}

/** The `GET /docs` page (its assets come from `docsRouter`, mounted at the same path). */
export function docsPage(options: DocsOptions = {}): RequestHandler {
  const title = options.title ?? 'API documentation';
  return (req, res) => {
    res.set('Content-Security-Policy', CSP);
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'no-cache');
    res.type('html').send(page(req.baseUrl, title));
  };
}

/** Mount at the application root (or under a prefix: asset URLs follow `req.baseUrl`). */
export function docsRouter(options: DocsOptions = {}): Router {
  const openApiUrl = options.openApiUrl ?? '/openapi.json';
  const assetsDir = getAbsoluteFSPath();
  const allowed = new Set(DOCS_ASSETS.map((f) => `/${f}`));
  const init = initScript(openApiUrl);
  const router = express.Router();

  router.get('/docs', docsPage(options));
  router.get('/docs/init.js', (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.type('application/javascript').send(init);
  });
  const serveAsset = express.static(assetsDir, {
    index: false,
    fallthrough: true,
    maxAge: '1d',
    immutable: false,
  });
  router.use('/docs/assets', (req, res, next) => {
    if (!allowed.has(req.path)) return next();
    return serveAsset(req, res, next);
  });
  return router;
}
