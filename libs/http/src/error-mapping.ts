import { HttpException } from '@nestjs/common';
import { HeraldError, REASONS, type ErrorBody, type Reason } from '@herald/protocol';
import { isTransientStoreError } from '@herald/db';

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** true when the error is a server fault: logged with its stack, never shown to the client. */
  unexpected: boolean;
  /** Seconds for Retry-After (a typed error's own, or 1 for a store out of reach). */
  retryAfter?: number;
}

/** body-parser (through Nest's adapter) marks its errors with a `type`; the cause carries it. */
interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  /** Set by verifyJsonBody: the message is ours and safe to show. */
  heraldDetail?: boolean;
}

const BY_STATUS: Record<number, Reason> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'timeout',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

export const INVALID_JSON = 'Request body is not valid JSON';

function httpMessage(e: HttpException): string {
  const res = e.getResponse();
  if (typeof res === 'string') return res;
  const message = (res as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : e.message;
}

function bodyParserError(e: unknown): BodyParserError | undefined {
  const o = e as BodyParserError & { cause?: unknown };
  if (o && typeof o === 'object' && typeof o.type === 'string' && o.type.startsWith('entity.')) return o;
  const cause = (e instanceof HttpException ? e.cause : undefined) as BodyParserError | undefined;
  return cause && typeof cause === 'object' ? cause : undefined;
}

function fromHttpException(e: HttpException): MappedError {
  return fromStatus(e.getStatus(), httpMessage(e), bodyParserError(e) ?? {});
}

function fromStatus(status: number, message: string, cause: BodyParserError): MappedError {
  let reason: Reason;
  let detail: string | undefined;
  if (status === 400 && (cause instanceof SyntaxError || cause.type === 'entity.parse.failed')) {
    reason = 'invalid_json';
    detail = cause.heraldDetail ? cause.message : INVALID_JSON;
  } else if (status === 413) {
    reason = 'payload_too_large';
    detail = 'Request body over the 1 MiB hard limit';
  } else if (status === 404) {
    reason = 'not_found';
    detail = message.replace(/^Cannot /, 'No route ');
  } else if (BY_STATUS[status]) {
    reason = BY_STATUS[status];
    detail = message;
  } else if (status < 500) {
    // 405, 415, ...: the contract only knows the reasons of libs/protocol, so answer as a bad request.
    reason = 'invalid_request';
    detail = message;
  } else {
    return internal();
  }
  const body = new HeraldError(reason, detail).toBody();
  return { status: body.code, body, unexpected: false };
}

function internal(): MappedError {
  const body = new HeraldError('internal_error').toBody();
  return { status: REASONS.internal_error.code, body, unexpected: true };
}

/**
 * Maps anything thrown while serving a request to the one error shape `{code, content, reason}`:
 * typed errors as they are; framework and body-parser errors by status; Postgres or Redis out of
 * reach as 503 `unavailable` (worth a retry: Retry-After 1); anything else as 500 `internal_error`, a server fault.
 */
export function mapError(e: unknown): MappedError {
  if (e instanceof HeraldError) {
    const mapped: MappedError = { status: e.code, body: e.toBody(), unexpected: e.reason === 'internal_error' };
    if (e.retryAfter !== undefined) mapped.retryAfter = e.retryAfter;
    return mapped;
  }
  if (e instanceof HttpException) return fromHttpException(e);
  const parser = bodyParserError(e);
  if (parser && typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) return fromStatus(parser.status, parser.message ?? '', parser);
  if (isTransientStoreError(e)) {
    const body = new HeraldError('unavailable').toBody();
    return { status: body.code, body, unexpected: false, retryAfter: 1 };
  }
  return internal();
}
