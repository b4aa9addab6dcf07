import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { Logger } from '@herald/config';
import { GatewayMetrics } from '@herald/observability';
import { HeraldError } from '@herald/protocol';
import { API_LOGGER } from '../api-logger.js';
import { mapError } from './error-mapping.js';

/**
 * The one place HTTP errors are written. Every route (REST, GoEasy-compatible, body-parser failures,
 * unknown paths) answers `{code, content, reason}` with HTTP status = code; a GoEasy client reads the
 * `{code, content}` it expects from the same body.
 */
@Catch()
export class HeraldExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(API_LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    writeError(http.getRequest<IncomingMessage>(), http.getResponse<ServerResponse>(), exception, this.logger, this.metrics);
  }
}

/** Writes `exception` as `{code, content, reason}` (also for routes served before the framework). */
export function writeError(req: IncomingMessage, res: ServerResponse, exception: unknown, logger: Logger, metrics: GatewayMetrics): void {
  const mapped = mapError(exception);
  metrics.error(mapped.body.reason);
  if (mapped.unexpected) {
    logger.error({ err: exception, method: req.method, path: (req.url ?? '/').split('?')[0], requestId: res.getHeader('x-request-id') }, 'unhandled error');
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  if (exception instanceof HeraldError && exception.retryAfter !== undefined) res.setHeader('Retry-After', String(exception.retryAfter));
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
