/**
 * The API's CORS rule: any origin may call it (keys, not origins, say who may; an app's allowed origins
 * are checked by the data-plane guard), with the headers the dashboard and the SDK send and read.
 */
export const CORS = {
  origin: true,
  allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'X-Request-Id'],
  exposedHeaders: ['ETag', 'X-Request-Id'],
  maxAge: 600,
};

const EXPOSED = CORS.exposedHeaders.join(',');

/** The headers of an actual (not preflight) response under CORS, as Nest's enableCors(CORS) writes them. */
export function corsHeaders(res: { setHeader(name: string, value: string): unknown }, origin: string | undefined): void {
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
  res.setHeader('Access-Control-Expose-Headers', EXPOSED);
}
