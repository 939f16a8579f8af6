import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { pgliteFactory } from '../support/test-store.js';
import { type ApiHarness, makeHarness } from './support.js';

const factory = pgliteFactory();

describe('the API serving the built console', () => {
  let h: ApiHarness;
  let dir: string;
  let app: ReturnType<typeof createApi>;

  beforeAll(async () => {
    h = await makeHarness(await factory.make());
    dir = mkdtempSync(join(tmpdir(), 'grove-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><a href="/api/docs">docs</a>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'big-abc123.js'), 'console.log("a long line of script");\n'.repeat(200));
    app = createApi({ system: h.system, tokens: createTokenStore(h.sql), consoleDir: dir });
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await factory.dispose();
  });

  it("answers the console's routes with index.html and its assets with long caching", async () => {
    for (const path of ['/', '/jobs', '/jobs/advancement-batch', '/jobs/new', '/rules']) {
      const page = await app.request(path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<title>console</title>');
    }
    const asset = await app.request('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log(1)');
    const script = 'console.log("a long line of script");\n'.repeat(200);
    for (let i = 0; i < 2; i++) {
      // Compressed once, answered from memory the second time: the same bytes.
      const big = await app.request('/assets/big-abc123.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(big.headers.get('content-encoding')).toBe('gzip');
      expect(big.headers.get('vary')).toBe('accept-encoding');
      expect(gunzipSync(Buffer.from(await big.arrayBuffer())).toString()).toBe(script);
    }
    const plain = await app.request('/assets/big-abc123.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(script);
  });

  it('answers 404 for other paths, missing assets and attempts to leave the folder', async () => {
    for (const path of ['/nowhere', '/assets/missing.js', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/index.html', '/jobsx']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });

  it('serves the placeholder page while the console is not built', async () => {
    const bare = createApi({ system: h.system, tokens: createTokenStore(h.sql), consoleDir: join(dir, 'missing') });
    const page = await bare.request('/');
    expect(page.status).toBe(200);
    // Relative links under its base, so that they also work where the app is mounted under a prefix.
    const html = await page.text();
    expect(html).toContain('<base href="/">');
    expect(html).toContain('href="api/docs"');
    expect((await bare.request('/assets/index-abc123.js')).status).toBe(404);
  });

  it("tells the caller its token's role and name at /api/me", async () => {
    const me = await h.call('GET', '/api/me', { as: 'viewer' });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ role: 'viewer', name: 'test-viewer' });
    expect((await h.call('GET', '/api/me', { as: 'none' })).status).toBe(401);
  });
});
