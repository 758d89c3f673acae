/**
 * The web app (web/, built by Vite into web/dist) served under `/app/`, every asset from this
 * server (no CDN). Hashed assets are cached for a year; `index.html` is never cached and answers
 * every client route (`/app/deals/…`), so a reload of any screen works. `GET /` sends a browser to
 * `/app/`. Without a build, `/app/` answers 503 saying how to build it.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { CSP } from './docs';
import { HttpProblem } from './problem';

export const WEB_APP_PATH = '/app';

/** Mount at the application root. `dir` is the Vite output folder (its `index.html` and `assets/`). */
export function webAppRouter(dir: string): Router {
  const router = express.Router();
  const index = path.join(dir, 'index.html');

  router.get('/', (_req, res) => res.redirect(302, `${WEB_APP_PATH}/`));
  // Non-strict routing matches `/app/` here too: only the bare `/app` is redirected.
  router.get(WEB_APP_PATH, (req, res, next) =>
    req.originalUrl.split('?')[0] === WEB_APP_PATH ? res.redirect(301, `${WEB_APP_PATH}/`) : next(),
  );
  router.use(WEB_APP_PATH, (_req, res, next) => {
    // The same policy as /docs: only its own scripts; antd injects style elements at run time.
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  router.use(
    `${WEB_APP_PATH}/assets`,
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false }),
  );
  router.use(WEB_APP_PATH, express.static(dir, { index: false, maxAge: 0 }));
  // Client routes: every other GET under /app/ is the app's shell.
  router.get(`${WEB_APP_PATH}/{*rest}`, (_req, res, next) => {
    if (!fs.existsSync(index)) {
      next(
        new HttpProblem(503, {
          type: 'web-app-not-built',
          detail: 'The web app is not built: run `npm run build:web` (npm start builds it).',
        }),
      );
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
