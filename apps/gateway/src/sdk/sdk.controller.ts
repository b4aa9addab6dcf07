import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, OnModuleInit, Param, Req, Res } from '@nestjs/common';
import { chooseEncoding, sendEncoded } from '@herald/http';
import { loadAsset, type Asset } from './static-asset.js';

/** Repository root, from this compiled file (dist/apps/gateway/src/sdk → root). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

const FILES = {
  sdk: { file: 'libs/sdk/dist/herald.iife.js', type: 'application/javascript; charset=utf-8' },
  map: { file: 'libs/sdk/dist/herald.iife.js.map', type: 'application/json; charset=utf-8' },
  serviceWorker: { file: 'libs/sdk/dist/herald-sw.js', type: 'application/javascript; charset=utf-8' },
  serviceWorkerMap: { file: 'libs/sdk/dist/herald-sw.js.map', type: 'application/json; charset=utf-8' },
  chat: { file: 'examples/chat/index.html', type: 'text/html; charset=utf-8' },
  pusherPlugin: { file: 'libs/pusher-plugin/dist/herald-pusher.iife.js', type: 'application/javascript; charset=utf-8' },
  pusherPluginEsm: { file: 'libs/pusher-plugin/dist/herald-pusher.mjs', type: 'application/javascript; charset=utf-8' },
} as const;
type Served = (typeof FILES)[keyof typeof FILES];

/** `/sdk/herald.js`: pages that load it get a new build within five minutes. */
const SHORT_CACHE = 'public, max-age=300';
/** `/sdk/herald.<hash>.js`: a URL that names its bytes never changes. */
const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
const VERSIONED = /^herald\.([0-9a-f]+)\.js$/;

export const versionedSdkPath = (hash: string) => `/sdk/herald.${hash}.js`;

/**
 * The script-tag SDK and its source map, and the chat demo (`/examples/chat/`), read from the build
 * output and compressed once per build (brotli and gzip, chosen by Accept-Encoding).
 * `/sdk/herald.<hash>.js` is the versioned, immutable URL for production pages (its path is in the
 * `Link` header of `/sdk/herald.js`); `/sdk/herald.js` always answers the running build with a short
 * cache. Both revalidate by ETag. `/sdk/herald-pusher.js` (global `HeraldPusher`) and
 * `/sdk/herald-pusher.mjs` are the replay plugin for pusher-js (docs/pusher.md), with the short cache.
 * `/sdk/herald-sw.js` is the service-worker helper for Web Push (docs/push-sdk.md), which a customer's
 * own worker loads with `importScripts` (cross-origin is allowed there), with the short cache.
 */
@Controller()
export class SdkController implements OnModuleInit {
  private readonly cache = new Map<string, Asset>();

  /** Compress at startup: the first page load must not pay for brotli's highest level. */
  onModuleInit(): void {
    for (const f of Object.values(FILES)) this.asset(f.file);
  }

  @Get('sdk/herald.js')
  script(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    const asset = this.asset(FILES.sdk.file);
    if (asset) res.setHeader('Link', `<${versionedSdkPath(asset.hash)}>; rel="canonical"`);
    res.setHeader('SourceMap', '/sdk/herald.js.map');
    this.serve(req, res, FILES.sdk, SHORT_CACHE);
  }

  @Get('sdk/herald.js.map')
  sourceMap(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.serve(req, res, FILES.map, SHORT_CACHE);
  }

  @Get('sdk/herald-sw.js')
  serviceWorker(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    res.setHeader('SourceMap', '/sdk/herald-sw.js.map');
    this.serve(req, res, FILES.serviceWorker, SHORT_CACHE);
  }

  @Get('sdk/herald-sw.js.map')
  serviceWorkerSourceMap(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.serve(req, res, FILES.serviceWorkerMap, SHORT_CACHE);
  }

  @Get('sdk/herald-pusher.js')
  pusherPlugin(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.serve(req, res, FILES.pusherPlugin, SHORT_CACHE);
  }

  @Get('sdk/herald-pusher.mjs')
  pusherPluginEsm(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.serve(req, res, FILES.pusherPluginEsm, SHORT_CACHE);
  }

  @Get('sdk/:file')
  versioned(@Param('file') file: string, @Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    const hash = VERSIONED.exec(file)?.[1];
    const asset = this.asset(FILES.sdk.file);
    if (hash === undefined || !asset) return this.notFound(res, `/sdk/${file} does not exist; load /sdk/herald.js`);
    if (hash !== asset.hash) {
      // A page pinned to an earlier build: send it to this build's URL rather than break it.
      res.writeHead(302, { Location: versionedSdkPath(asset.hash), 'Cache-Control': 'no-cache', 'Access-Control-Allow-Origin': '*' });
      res.end();
      return;
    }
    res.setHeader('SourceMap', '/sdk/herald.js.map');
    this.serve(req, res, FILES.sdk, IMMUTABLE_CACHE);
  }

  @Get('examples/chat')
  chat(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (!url.pathname.endsWith('/')) {
      res.writeHead(301, { Location: `${url.pathname}/${url.search}` });
      res.end();
      return;
    }
    this.serve(req, res, FILES.chat, 'no-cache');
  }

  private serve(req: IncomingMessage, res: ServerResponse, what: Served, cacheControl: string): void {
    const asset = this.asset(what.file);
    if (!asset) return this.notFound(res, `${what.file} is not built: run npm run build`);
    const encoding = chooseEncoding(req.headers['accept-encoding']);
    res.setHeader('Access-Control-Allow-Origin', '*');
    sendEncoded(req, res, { encoding, file: asset.variants[encoding], type: what.type, cacheControl });
  }

  private notFound(res: ServerResponse, content: string): void {
    res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ code: 404, content, reason: 'not_found' }));
  }

  /** Re-read when the file changed on disk (a rebuild while the gateway runs). */
  private asset(file: string): Asset | undefined {
    const asset = loadAsset(path.join(ROOT, file), this.cache.get(file));
    if (asset) this.cache.set(file, asset);
    return asset;
  }
}
