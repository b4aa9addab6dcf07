import type { REASONS, Reason } from '../../protocol/src/errors.js';
import type { ErrorShape } from './types.js';

/**
 * An Error carrying GoEasy's `{code, content}` and Herald's `reason`, so callbacks and promise
 * rejections get one shape and a stack trace. Reasons are libs/protocol's (`invalid_key`,
 * `token_required`, …; the SDK makes its own with protocolError) plus `unsubscribed`, the SDK's only
 * reason of its own.
 */
export class HeraldError extends Error implements ErrorShape {
  readonly code: number;
  readonly content: string;
  readonly reason: string;
  constructor(code: number, reason: string, content: string) {
    super(content);
    this.name = 'HeraldError';
    this.code = code;
    this.reason = reason;
    this.content = content;
  }
  toJSON(): ErrorShape {
    return { code: this.code, content: this.content, reason: this.reason };
  }
}

/** An error the SDK raises with a protocol reason; the compiler holds its code to the protocol's. */
export function protocolError<R extends Reason>(code: (typeof REASONS)[R]['code'], reason: R, content: string): HeraldError {
  return new HeraldError(code, reason, content);
}

export function toHeraldError(e: unknown): HeraldError {
  if (e instanceof HeraldError) return e;
  if (typeof e === 'object' && e !== null && typeof (e as ErrorShape).code === 'number') {
    const b = e as Partial<ErrorShape>;
    return new HeraldError(b.code as number, String(b.reason ?? 'internal_error'), String(b.content ?? 'Error'));
  }
  return protocolError(500, 'internal_error', e instanceof Error ? e.message : String(e));
}

export const errors = {
  invalid: (content: string) => protocolError(400, 'invalid_request', content),
  timeout: (what: string) => protocolError(408, 'timeout', `${what} timed out`),
  disconnected: () => protocolError(503, 'unavailable', 'Disconnected by the application'),
  queueFull: (max: number) => protocolError(503, 'unavailable', `Not connected and ${max} calls already wait for the connection`),
  notConnected: () => protocolError(503, 'unavailable', 'Not connected: call connect() first'),
};

/** A refused WebSocket's close reason is `"<reason>: <text>"` (docs/protocol.md). */
export function fromClose(code: number, reasonText: string): HeraldError {
  const m = /^([a-z_]+): (.*)$/s.exec(reasonText);
  const httpLike = code >= 4400 && code < 4600 ? code - 4000 : 500;
  return new HeraldError(httpLike, m ? m[1] : 'unavailable', m ? m[2] : reasonText || `Connection closed (${code})`);
}

/** A call whose connection (or HTTP request) failed before its answer: the client sends it again. */
export class ConnectionLost extends HeraldError {
  constructor(detail = 'Connection lost before the answer') {
    super(503, 'unavailable', detail);
  }
}
