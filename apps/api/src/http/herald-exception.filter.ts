import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types.js';
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
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const mapped = mapError(exception);
    this.metrics.error(mapped.body.reason);
    if (mapped.unexpected) {
      this.logger.error({ err: exception, method: req.method, path: req.path, requestId: res.getHeader('x-request-id') }, 'unhandled error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (exception instanceof HeraldError && exception.retryAfter !== undefined) res.setHeader('Retry-After', String(exception.retryAfter));
    res.status(mapped.status).json(mapped.body);
  }
}
