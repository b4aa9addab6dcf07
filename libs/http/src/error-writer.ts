import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@herald/config';
import type { GatewayMetrics } from '@herald/observability';
import { withoutCorsGrant } from './cors.js';
import { mapError } from './error-mapping.js';

/** What writing an error needs from the app: its logger and its metrics. */
export interface ErrorSink {
  logger: Logger;
  metrics: Pick<GatewayMetrics, 'error'>;
}

/**
 * The one place both apps write an HTTP error, for framework routes (the exception filter) and the
 * routes served before it: `{code, content, reason}` with HTTP status = code; counted in
 * `herald_errors_total{reason}`; an unexpected error logged with its stack and answered 500
 * `internal_error` (no detail); a CORS grant taken back when the origin itself was refused.
 */
export function writeError(req: IncomingMessage, res: ServerResponse, exception: unknown, sink: ErrorSink): void {
  const mapped = mapError(exception);
  sink.metrics.error(mapped.body.reason);
  if (mapped.unexpected) {
    sink.logger.error({ err: exception, method: req.method, path: (req.url ?? '/').split('?')[0], requestId: res.getHeader('x-request-id') }, 'unhandled error');
  } else if (mapped.status === 503) {
    sink.logger.warn({ err: (exception as Error)?.message, path: (req.url ?? '/').split('?')[0] }, 'unavailable');
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  if (mapped.body.reason === 'origin_not_allowed') withoutCorsGrant(res);
  if (mapped.retryAfter !== undefined) res.setHeader('Retry-After', String(mapped.retryAfter));
  res.setHeader('Cache-Control', 'no-store');
  writeJson(res, mapped.status, mapped.body);
}

/** A JSON answer as Express's `res.status(s).json(body)` writes it. */
export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
