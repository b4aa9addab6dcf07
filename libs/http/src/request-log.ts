import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction } from './http-types.js';
import type { Logger } from '@herald/config';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * One log line per request, at debug (HERALD_LOG_LEVEL=debug shows every request); a 5xx at error, so
 * the default level shows only what needs a look (a line per request at info buried the lines that
 * matter). The request id is taken from `x-request-id` when sane, echoed back. For the framework's routes and the ones served before it alike.
 */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse): void {
  const started = process.hrtime.bigint();
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', requestId);
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const line = { requestId, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
    if (res.statusCode >= 500) logger.error(line, 'request');
    else logger.debug(line, 'request');
  });
}

/** logRequest as the framework's first middleware. */
export function requestLog(logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse, next: NextFunction): void => {
    logRequest(logger, req, res);
    next();
  };
}
