import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ROOT, startStack, type Stack } from '@herald/testing';

// The dashboard's built files as a browser fetches them from the API: brotli or gzip by Accept-Encoding
// (written at build time), hashed assets immutable for a year, index.html revalidated, the CSP on every
// answer. Raw http requests: fetch would decompress and hide the encoding.
let stack: Stack;
before(async () => {
  stack = await startStack({ workers: 0 });
});
after(async () => {
  await stack.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(`${stack.apiUrl}${path}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

const DIST = join(ROOT, 'dist/dashboard');
const onDisk = (rel: string) => readFileSync(join(DIST, rel));
/** The built scripts and styles: those index.html loads and the lazily loaded chunks (Stats). */
const builtAssets = () => readdirSync(join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));

function assertDashboardHeaders(a: Answer, what: string): void {
  assert.equal(a.status, 200, what);
  assert.match(String(a.headers['content-security-policy']), /script-src 'self'/, `${what}: the dashboard CSP`);
  assert.equal(a.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(String(a.headers['x-frame-options']), 'DENY', what);
  assert.equal(a.headers.vary, 'Accept-Encoding', what);
  assert.equal(Number(a.headers['content-length']), a.body.length, what);
}

test('every built script and stylesheet: brotli, gzip or plain by Accept-Encoding, the same bytes after decompression, immutable', async () => {
  const assets = builtAssets();
  assert.ok(assets.some((f) => f.endsWith('.js')) && assets.some((f) => f.endsWith('.css')), assets.join());
  for (const f of assets) {
    const url = `/assets/${f}`;
    const plain = await get(url);
    const gzip = await get(url, { 'accept-encoding': 'gzip, deflate' });
    const br = await get(url, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    for (const [a, enc] of [[plain, undefined], [gzip, 'gzip'], [br, 'br']] as const) {
      assertDashboardHeaders(a, `${url} ${enc ?? 'plain'}`);
      assert.equal(a.headers['cache-control'], 'public, max-age=31536000, immutable', url);
      assert.equal(a.headers['content-encoding'], enc, url);
      assert.match(a.headers['content-type'] ?? '', f.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    }
    assert.deepEqual(plain.body, onDisk(`assets/${f}`), url);
    assert.deepEqual(gunzipSync(gzip.body), plain.body, `${url} gunzipped`);
    assert.deepEqual(brotliDecompressSync(br.body), plain.body, `${url} brotli-decoded`);
    // Worth sending: a third of the bytes or less, brotli smaller still.
    assert.ok(gzip.body.length < plain.body.length / 3, `${url}: gzip ${gzip.body.length} of ${plain.body.length}`);
    assert.ok(br.body.length < gzip.body.length, `${url}: br ${br.body.length}, gzip ${gzip.body.length}`);
    assert.equal(new Set([plain, gzip, br].map((a) => a.headers.etag)).size, 3, `${url}: one ETag per encoding`);
  }
});

test('index.html (at / and at a deep link) is compressed too and revalidated on every load (no-cache)', async () => {
  const html = onDisk('index.html');
  for (const path of ['/', '/apps/app_x/keys']) {
    const plain = await get(path);
    const br = await get(path, { 'accept-encoding': 'br' });
    const gzip = await get(path, { 'accept-encoding': 'br;q=0, gzip' });
    for (const a of [plain, br, gzip]) {
      assertDashboardHeaders(a, path);
      assert.equal(a.headers['cache-control'], 'no-cache', path);
      assert.match(a.headers['content-type'] ?? '', /^text\/html/);
    }
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(gzip.headers['content-encoding'], 'gzip', 'br;q=0 refuses brotli');
    assert.deepEqual(plain.body, html);
    assert.deepEqual(brotliDecompressSync(br.body), html);
    assert.deepEqual(gunzipSync(gzip.body), html);
  }
});

test('an unchanged file costs a 304 per encoding (If-None-Match); the ETag of another encoding gets the bytes', async () => {
  const url = `/assets/${builtAssets().find((f) => f.endsWith('.js'))}`;
  const br = await get(url, { 'accept-encoding': 'br' });
  const again = await get(url, { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, br.headers.etag);
  assert.equal(again.headers['cache-control'], 'public, max-age=31536000, immutable');
  const otherEncoding = await get(url, { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag! });
  assert.equal(otherEncoding.status, 200);
  assert.equal(otherEncoding.headers['content-encoding'], 'gzip');
  const index = await get('/', { 'accept-encoding': 'gzip' });
  assert.equal((await get('/apps', { 'accept-encoding': 'gzip', 'if-none-match': `W/${index.headers.etag}` })).status, 304);
});

test('source maps are served plain; the .br/.gz files, missing assets and paths out of the build are not files', async () => {
  const js = builtAssets().find((f) => f.endsWith('.js'))!;
  const map = await get(`/assets/${js}.map`, { 'accept-encoding': 'gzip, br' });
  assert.equal(map.status, 200);
  assert.equal(map.headers['content-encoding'], undefined);
  assert.match(map.headers['content-type'] ?? '', /^application\/json/);
  assert.deepEqual(map.body, onDisk(`assets/${js}.map`));
  for (const path of [`/assets/${js}.br`, `/assets/${js}.gz`, '/index.html.br', '/assets/nope-123.js', '/assets/..%2f..%2fpackage.json', '/..%2f..%2fpackage.json']) {
    const a = await get(path, { 'accept-encoding': 'gzip, br' });
    assert.equal(a.status, 404, path);
    assert.match(a.headers['content-type'] ?? '', /json/, `${path}: the API's JSON 404`);
  }
});
