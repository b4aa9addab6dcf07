import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ROOT, startStack, type Stack } from '@herald/testing';

// The script-tag SDK as a browser fetches it: compressed by Accept-Encoding, a versioned immutable URL,
// a short-cached stable URL, ETag revalidation. Raw http requests: fetch would decompress and hide it.
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
      .get(`${stack.gateways[0].url}${path}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

const built = () => readFileSync(join(ROOT, 'libs/sdk/dist/herald.iife.js'));

test('/sdk/herald.js answers brotli, gzip or plain by Accept-Encoding, the same script after decompression', async () => {
  const plain = await get('/sdk/herald.js');
  const gzip = await get('/sdk/herald.js', { 'accept-encoding': 'gzip, deflate' });
  const br = await get('/sdk/herald.js', { 'accept-encoding': 'gzip, deflate, br' });
  for (const a of [plain, gzip, br]) {
    assert.equal(a.status, 200);
    assert.match(a.headers['content-type'] ?? '', /javascript/);
    assert.equal(a.headers['cache-control'], 'public, max-age=300');
    assert.equal(a.headers.vary, 'Accept-Encoding');
    assert.equal(Number(a.headers['content-length']), a.body.length);
  }
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(gzip.headers['content-encoding'], 'gzip');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.deepEqual(plain.body, built());
  assert.deepEqual(gunzipSync(gzip.body), built());
  assert.deepEqual(brotliDecompressSync(br.body), built());
  // Compression worth having: the 31 KB script in well under a third of it.
  assert.ok(gzip.body.length < plain.body.length / 3, `gzip ${gzip.body.length} of ${plain.body.length}`);
  assert.ok(br.body.length < gzip.body.length, `br ${br.body.length}, gzip ${gzip.body.length}`);
  assert.equal(new Set([plain, gzip, br].map((a) => a.headers.etag)).size, 3, 'one ETag per encoding');
});

test('the versioned URL from the Link header is immutable for a year; another hash is sent to the current one', async () => {
  const stable = await get('/sdk/herald.js', { 'accept-encoding': 'br' });
  const link = /^<([^>]+)>; rel="canonical"$/.exec(String(stable.headers.link ?? ''))?.[1];
  assert.match(link ?? '', /^\/sdk\/herald\.[0-9a-f]{16}\.js$/);
  const versioned = await get(link!, { 'accept-encoding': 'br' });
  assert.equal(versioned.status, 200);
  assert.equal(versioned.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(versioned.headers['content-encoding'], 'br');
  assert.equal(versioned.headers.vary, 'Accept-Encoding');
  assert.deepEqual(brotliDecompressSync(versioned.body), built());

  const older = await get('/sdk/herald.0123456789abcdef.js');
  assert.equal(older.status, 302);
  assert.equal(older.headers.location, link);
  assert.equal((await get('/sdk/other.js')).status, 404);
});

test('an unchanged script costs a 304 per encoding (If-None-Match), a changed encoding a 200', async () => {
  const gzip = await get('/sdk/herald.js', { 'accept-encoding': 'gzip' });
  const again = await get('/sdk/herald.js', { 'accept-encoding': 'gzip', 'if-none-match': gzip.headers.etag! });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.vary, 'Accept-Encoding');
  const other = await get('/sdk/herald.js', { 'accept-encoding': 'br', 'if-none-match': gzip.headers.etag! });
  assert.equal(other.status, 200);
  assert.equal(other.headers['content-encoding'], 'br');
});

test('the source map and the chat demo are compressed too', async () => {
  for (const path of ['/sdk/herald.js.map', '/examples/chat/']) {
    const a = await get(path, { 'accept-encoding': 'gzip' });
    assert.equal(a.status, 200, path);
    assert.equal(a.headers['content-encoding'], 'gzip', path);
    assert.ok(gunzipSync(a.body).length > a.body.length, path);
  }
});

test('the pusher-js replay plugin: /sdk/herald-pusher.js (global HeraldPusher) and /sdk/herald-pusher.mjs, as built', async () => {
  for (const [path, file] of [
    ['/sdk/herald-pusher.js', 'herald-pusher.iife.js'],
    ['/sdk/herald-pusher.mjs', 'herald-pusher.mjs'],
  ]) {
    const a = await get(path, { 'accept-encoding': 'br' });
    assert.equal(a.status, 200, path);
    assert.match(a.headers['content-type'] ?? '', /^application\/javascript/, path);
    assert.deepEqual(brotliDecompressSync(a.body), readFileSync(join(ROOT, 'libs/pusher-plugin/dist', file)), path);
  }
  assert.match(readFileSync(join(ROOT, 'libs/pusher-plugin/dist/herald-pusher.iife.js'), 'utf8'), /^"use strict";var HeraldPusher=/);
});

test('the Web Push service-worker helper: /sdk/herald-sw.js as built (a classic script any origin may importScripts), compressed, with its source map', async () => {
  const built = readFileSync(join(ROOT, 'libs/sdk/dist/herald-sw.js'));
  const a = await get('/sdk/herald-sw.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(a.status, 200);
  assert.match(a.headers['content-type'] ?? '', /^application\/javascript/);
  assert.equal(a.headers['cache-control'], 'public, max-age=300');
  assert.equal(a.headers['sourcemap'], '/sdk/herald-sw.js.map');
  assert.deepEqual(brotliDecompressSync(a.body), built);
  assert.doesNotMatch(built.toString('utf8'), /^\s*(import|export)\b/m, 'a classic script: importScripts cannot load a module');
  const etag = a.headers.etag!;
  assert.equal((await get('/sdk/herald-sw.js', { 'accept-encoding': 'gzip, deflate, br', 'if-none-match': etag })).status, 304);
  const map = await get('/sdk/herald-sw.js.map', { 'accept-encoding': 'gzip' });
  assert.equal(map.status, 200);
  assert.ok((JSON.parse(gunzipSync(map.body).toString('utf8')) as { sources: string[] }).sources.some((s) => s.endsWith('sw/herald-sw.ts')));
});
