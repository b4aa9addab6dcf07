import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '@herald/config';
import type { HttpRequest, HttpResponse } from '../http/http-types.js';

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
 * Serves the dashboard at `/`: hashed files under /assets/ cached for a year (immutable), everything
 * else revalidated, and index.html (no-cache) for any other GET that is not an API path, so deep links
 * such as /apps/app_x/keys load the SPA. Registered before Nest's routes; API paths fall through.
 */
export function serveDashboard(app: NestExpressApplication, logger: Logger, dir = DASHBOARD_DIR): void {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) {
    logger.warn({ dir }, 'dashboard is not built (npm run build): / serves nothing');
    return;
  }
  app.useStaticAssets(dir, {
    index: false,
    fallthrough: true,
    redirect: false,
    setHeaders: (res, file) => {
      const immutable = file.startsWith(path.join(dir, 'assets') + path.sep);
      res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.use((req: HttpRequest, res: HttpResponse & { sendFile(file: string): void }, next: () => void) => {
    if (!isSpaRoute(req.method, req.path)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
