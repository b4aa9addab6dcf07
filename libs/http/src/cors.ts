import type { ServerResponse } from 'node:http';

/**
 * The API's CORS rule: any origin may call it (keys, not origins, say who may; an app's allowed origins
 * are checked by the data-plane guard), with the headers the dashboard and the SDK send and read.
 */
export const API_CORS = {
  origin: true,
  allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'X-Request-Id'],
  exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After'],
  maxAge: 600,
};

/** What the gateway's browser routes expose (SSE, poll, history, herenow, publish). */
export const GATEWAY_EXPOSED = ['Content-Type', 'Retry-After'];

/**
 * The CORS headers of an actual (not preflight) response for `origin`, once the request's checks have
 * passed. Never for an origin the app refused: `withoutCorsGrant` takes a grant back.
 */
export function grantCors(res: Pick<ServerResponse, 'setHeader'>, origin: string | undefined, exposed: readonly string[] = API_CORS.exposedHeaders): void {
  if (!origin) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', exposed.join(','));
}

/** Removes a CORS grant already written (by the framework's CORS middleware, or before a check refused). */
export function withoutCorsGrant(res: Pick<ServerResponse, 'removeHeader'>): void {
  res.removeHeader('Access-Control-Allow-Origin');
  res.removeHeader('Access-Control-Allow-Credentials');
  res.removeHeader('Access-Control-Expose-Headers');
}
