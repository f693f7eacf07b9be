import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { adminUi } from '../../../src/http/admin-ui.js';

const built = mkdtempSync(join(tmpdir(), 'tollgate-admin-ui-'));
mkdirSync(join(built, 'assets'));
writeFileSync(join(built, 'index.html'), '<!doctype html><div id="root"></div>');
writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log(1)');
const missing = join(built, 'not-built');
afterAll(() => rmSync(built, { recursive: true, force: true }));

function appWith(dir: string) {
  const app = express();
  app.use('/admin', adminUi(dir));
  app.use((_req, res) => void res.status(404).json({ error: { code: 'unknown_route' } }));
  return app;
}

describe('admin panel static files', () => {
  it('serves hashed assets with a long immutable cache', async () => {
    const res = await request(appWith(built)).get('/admin/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers every panel route with index.html, uncached and with a CSP', async () => {
    for (const path of ['/admin', '/admin/', '/admin/models', '/admin/users/123', '/admin/index.html']) {
      const res = await request(appWith(built)).get(path);
      expect(res.status, path).toBe(200);
      expect(res.text).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    }
  });

  it('leaves the API and missing assets to the JSON 404', async () => {
    for (const path of ['/admin/api/nope', '/admin/assets/gone-123.js']) {
      const res = await request(appWith(built)).get(path);
      expect([res.status, res.body.error?.code], path).toEqual([404, 'unknown_route']);
    }
  });

  it('says how to build the panel when it has not been built', async () => {
    const res = await request(appWith(missing)).get('/admin/providers');
    expect(res.status).toBe(503);
    expect(res.text).toContain('npm run build:admin');
  });
});
