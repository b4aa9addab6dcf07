import { randomUUID } from 'node:crypto';
import type { HttpRequest as Request, HttpResponse as Response, NextFunction } from './http-types.js';
import type { Logger } from '@herald/config';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
// Probes and scrapes arrive every few seconds forever: at info they would drown the lines that matter.
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/** One log line per request; the request id is taken from `x-request-id` when sane, echoed back. */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const given = req.get('x-request-id');
    const requestId = given && REQUEST_ID_RE.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.statusCode >= 500) logger.error(line, 'request');
      else if (QUIET_PATHS.has(req.path) && res.statusCode < 400) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
