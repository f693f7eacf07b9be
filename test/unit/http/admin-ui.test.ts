import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { adminUi } from '../../../src/http/admin-ui.js';
import { ensureAdminUiBuilt } from '../../helpers/admin-ui-build.js';

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

/** GET with a given Accept-Encoding; the body as sent on the wire (not decoded). */
function rawGet(url: string, encoding: string): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('the built panel', () => {
  it('sends its assets precompressed (brotli, else gzip, else as they are), cached for a year and varying by encoding', async () => {
    const dist = await ensureAdminUiBuilt();
    const js = readdirSync(join(dist, 'assets')).find((f) => f.endsWith('.js'))!;
    const original = readFileSync(join(dist, 'assets', js));
    const server: Server = await new Promise((resolve) => {
      const s = appWith(dist).listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/admin/assets/${js}`;
      const br = await rawGet(url, 'gzip, deflate, br');
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.body.length).toBeLessThan(original.length / 2);
      expect(brotliDecompressSync(br.body).equals(original)).toBe(true);
      const gz = await rawGet(url, 'gzip');
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).equals(original)).toBe(true);
      const plain = await rawGet(url, 'identity');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.equals(original)).toBe(true);
      for (const res of [br, gz, plain]) {
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(String(res.headers.vary)).toMatch(/accept-encoding/i);
        expect(res.headers['content-type']).toMatch(/javascript/);
      }
    } finally {
      server.close();
    }
  }, 120_000);
});
