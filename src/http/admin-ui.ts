import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import expressStaticGzip from 'express-static-gzip';
import { projectPath } from '../paths.js';

/**
 * The admin panel (admin-ui/, built by `npm run build:admin` into admin-ui/dist), mounted at /admin.
 * Hashed assets are cached for a year and sent as the build's precompressed copy the browser
 * accepts (brotli, else gzip; `Vary: Accept-Encoding`); every other GET outside /admin/api answers
 * index.html (the panel routes on the client), never cached so a deploy is picked up on the next load.
 */
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Tollgate admin</title>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The admin panel has not been built</h1>
<p>Run <code>npm run build:admin</code> (or <code>npm run build</code>) and reload this page.
The admin REST API under <code>/admin/api</code> works without it.</p>`;

export function adminUi(dir = projectPath('admin-ui', 'dist')): Router {
  const r = Router();
  r.use(
    '/assets',
    expressStaticGzip(join(dir, 'assets'), {
      enableBrotli: true,
      orderPreference: ['br', 'gzip'],
      index: false,
      serveStatic: { index: false, redirect: false, immutable: true, maxAge: '1y' },
    }),
  );
  const pageHeaders = (res: ServerResponse, path: string) => {
    if (path.endsWith('.html')) for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
  };
  r.use(express.static(dir, { index: false, redirect: false, maxAge: '1h', setHeaders: pageHeaders }));

  r.get(/.*/, (req: Request, res: Response, next) => {
    // The API and missing hashed assets keep their JSON 404s.
    if (req.path === '/api' || req.path.startsWith('/api/') || req.path.startsWith('/assets/')) return next();
    res.sendFile(join(dir, 'index.html'), { headers: PAGE_HEADERS, cacheControl: false, lastModified: false }, (err) => {
      if (!err) return;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || res.headersSent) return next(err);
      res.status(503).setHeader('cache-control', 'no-store').type('html').send(NOT_BUILT);
    });
  });
  return r;
}
