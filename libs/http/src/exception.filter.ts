import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { writeError, type ErrorSink } from './error-writer.js';

/**
 * Registered by both apps (`app.useGlobalFilters`): every framework route, body-parser failure and
 * unknown path answers through writeError, so the API and the gateway speak one error shape.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly sink: ErrorSink) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    writeError(http.getRequest<IncomingMessage>(), http.getResponse<ServerResponse>(), exception, this.sink);
  }
}
