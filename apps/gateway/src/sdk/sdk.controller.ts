import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Req, Res } from '@nestjs/common';

/** Repository root, from this compiled file (dist/apps/gateway/src/sdk → root). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

const FILES = {
  sdk: { file: 'libs/sdk/dist/herald.iife.js', type: 'application/javascript; charset=utf-8' },
  map: { file: 'libs/sdk/dist/herald.iife.js.map', type: 'application/json; charset=utf-8' },
  chat: { file: 'examples/chat/index.html', type: 'text/html; charset=utf-8' },
} as const;

interface Cached {
  mtimeMs: number;
  body: Buffer;
  etag: string;
}

/**
 * The script-tag SDK (`/sdk/herald.js` and its source map) and the chat demo (`/examples/chat/`),
 * read from the build output. Revalidated by ETag: a page always gets the SDK of the running build
 * (max-age is short), and an unchanged one costs a 304.
 */
@Controller()
export class SdkController {
  private readonly cache = new Map<string, Cached>();

  @Get('sdk/herald.js')
  script(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    res.setHeader('SourceMap', '/sdk/herald.js.map');
    this.serve(req, res, FILES.sdk, 'public, max-age=300');
  }

  @Get('sdk/herald.js.map')
  sourceMap(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.serve(req, res, FILES.map, 'public, max-age=300');
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

  private serve(req: IncomingMessage, res: ServerResponse, what: { file: string; type: string }, cacheControl: string): void {
    const entry = this.read(what.file);
    if (!entry) {
      res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ code: 404, content: `${what.file} is not built: run npm run build`, reason: 'not_found' }));
      return;
    }
    const headers = { 'Content-Type': what.type, 'Cache-Control': cacheControl, ETag: entry.etag, 'Access-Control-Allow-Origin': '*' };
    if (req.headers['if-none-match'] === entry.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': entry.body.length });
    res.end(req.method === 'HEAD' ? undefined : entry.body);
  }

  /** Re-read when the file changed on disk (a rebuild while the gateway runs). */
  private read(file: string): Cached | undefined {
    const abs = path.join(ROOT, file);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(abs).mtimeMs;
    } catch {
      return undefined;
    }
    const hit = this.cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit;
    const body = readFileSync(abs);
    const entry = { mtimeMs, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
    this.cache.set(file, entry);
    return entry;
  }
}
