import type { Reason } from './errors.js';

/**
 * WebSocket close codes. Ranges, written once (the SDK decides by range):
 *  - 1000/1001/1006/1011: standard; the client reconnects (1000 only after its own disconnect()).
 *  - 1009: a frame over the hard limit (RFC 6455 "message too big"); the client reconnects.
 *  - 4400–4499: terminal. The connection is refused for a reason that a retry cannot fix
 *    (bad key, origin, suspended app). The client stops and reports connect_failed with the reason.
 *  - 4500–4599: reconnect. The server asks the client to come back (shutdown, heartbeat, slow reader),
 *    resuming its channels from their last positions on any gateway.
 */
export const CLOSE_CODES = {
  normal: 1000,
  going_away: 1001,
  message_too_big: 1009,
  internal_error: 1011,
  unauthorized: 4401,
  invalid_key: 4401,
  key_revoked: 4402,
  key_expired: 4402,
  forbidden: 4403,
  origin_not_allowed: 4403,
  app_suspended: 4403,
  app_not_found: 4404,
  invalid_request: 4400,
  server_shutdown: 4500,
  heartbeat_timeout: 4501,
  slow_consumer: 4502,
  unavailable: 4503,
  too_many_connections: 4529,
  rate_limited: 4529,
} as const;

export type CloseName = keyof typeof CLOSE_CODES;

export function isTerminalClose(code: number): boolean {
  return code >= 4400 && code < 4500;
}

/** Close code for a reason that ends a connection before or while it is open. */
export function closeCodeFor(reason: Reason): number {
  const table = CLOSE_CODES as Record<string, number>;
  return table[reason] ?? (reason === 'internal_error' ? 1011 : 4400);
}

/** RFC 6455 allows 123 bytes of close reason; cut on a character boundary, never mid-sequence. */
export const MAX_CLOSE_REASON_BYTES = 123;

export function closeReason(text: string): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = new TextEncoder().encode(ch).length;
    if (bytes + n > MAX_CLOSE_REASON_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}
