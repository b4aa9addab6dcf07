import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '@herald/config';
import { chooseEncoding, sendEncoded, type HttpRequest, type HttpResponse } from '@herald/http';
import { DashboardFiles, type DashboardFile } from './dashboard-files.js';

/** Where `npm run build` puts the SPA (apps/dashboard → dist/dashboard); this file is dist/apps/api/src/dashboard/. */
export const DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../dashboard');

/** Paths the API itself answers: the SPA fallback never shadows them (a 404 there stays the API's JSON 404). */
export const RESERVED_PREFIXES = ['/v1', '/v2', '/publish', '/docs', '/health', '/ready', '/metrics'];

export function isReserved(urlPath: string): boolean {
  return RESERVED_PREFIXES.some((p) => urlPath === p || urlPath.startsWith(`${p}/`) || urlPath.startsWith(`${p}-`) || urlPath.startsWith(`${p}?`));
}

/** A history-API route of the SPA: GET/HEAD, not reserved, no file extension in the last segment. */
export function isSpaRoute(method: string, urlPath: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (isReserved(urlPath)) return false;
  return !/\.[A-Za-z0-9]+$/.test(urlPath.split('/').pop() ?? '');
}

/**
 * The dashboard's Content-Security-Policy: its own scripts only (the session token lives in the page, so
 * no injected script may run), API calls to this origin, the SDK's connections to the public gateway
 * (http(s) for SSE/long-poll and ws(s) for WebSocket), and no framing.
 */
export function dashboardCsp(gatewayUrl: string): string {
  let gateway = '';
  try {
    const u = new URL(gatewayUrl);
    gateway = ` ${u.origin} ${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}`;
  } catch {
    // An unparsable HERALD_PUBLIC_GATEWAY_URL leaves the console unable to connect, nothing else.
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React and Recharts set inline style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self'${gateway}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** Hashed files under /assets/: a URL that names its bytes never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Headers on every dashboard file: the CSP, no MIME sniffing, no referrer leaking app ids, no framing. */
function securityHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

/** One file in the encoding the client accepts (brotli, gzip, plain), revalidated by ETag. */
function send(req: IncomingMessage, res: ServerResponse, file: DashboardFile, cacheControl: string, csp: string): void {
  const encoding = chooseEncoding(req.headers['accept-encoding'], (['br', 'gzip'] as const).filter((e) => file.variants[e]));
  securityHeaders(res, csp);
  sendEncoded(req, res, { encoding, file: file.variants[encoding] ?? file.variants.identity, type: file.type, cacheControl });
}

/**
 * Serves the dashboard at `/` from the build (dist/dashboard), each file in memory with the brotli and
 * gzip forms the build wrote beside it, chosen by Accept-Encoding (`Vary: Accept-Encoding`). Hashed
 * files under /assets/ are cached for a year (immutable), everything else revalidates (`no-cache`, ETag),
 * and index.html answers any other GET that is not an API path, so deep links such as
 * /apps/app_x/keys load the SPA. Registered before Nest's routes; API paths fall through.
 */
export function serveDashboard(app: NestExpressApplication, logger: Logger, gatewayUrl: string, dir = DASHBOARD_DIR): void {
  const files = new DashboardFiles(dir);
  const csp = dashboardCsp(gatewayUrl);
  if (!files.get('/index.html')) {
    logger.warn({ dir }, 'dashboard is not built (npm run build): / serves nothing');
    return;
  }
  app.use((req: HttpRequest, res: HttpResponse, next: () => void) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isReserved(req.path)) return next();
    const file = req.path.endsWith('/') ? undefined : files.get(req.path);
    if (file) return send(req, res, file, req.path.startsWith('/assets/') ? IMMUTABLE : 'no-cache', csp);
    if (!isSpaRoute(req.method, req.path)) return next();
    const index = files.get('/index.html');
    if (!index) return next();
    send(req, res, index, 'no-cache', csp);
  });
}
