import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContentEncoding } from './content-encoding.js';

/** One encoding of a static file: its bytes and the ETag that names exactly those bytes. */
export interface EncodedBody {
  body: Buffer;
  etag: string;
}

/** True when If-None-Match names this ETag (a list, weak forms and `*` included). */
export function notModified(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/**
 * Answers a static file in the chosen encoding, revalidated by ETag (304), with `Vary: Accept-Encoding`;
 * HEAD gets the headers only. Headers of the caller's own (CSP, CORS) are set on `res` before.
 * The SDK (gateway) and the dashboard (API) are served through it.
 */
export function sendEncoded(req: IncomingMessage, res: ServerResponse, o: { encoding: ContentEncoding; file: EncodedBody; type: string; cacheControl: string }): void {
  res.setHeader('Content-Type', o.type);
  res.setHeader('Cache-Control', o.cacheControl);
  res.setHeader('ETag', o.file.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (notModified(req, o.file.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  if (o.encoding !== 'identity') res.setHeader('Content-Encoding', o.encoding);
  res.setHeader('Content-Length', o.file.body.length);
  res.statusCode = 200;
  res.end(req.method === 'HEAD' ? undefined : o.file.body);
}
