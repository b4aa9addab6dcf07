import { isTerminalClose } from '@herald/protocol';

/**
 * Pusher's close and `pusher:error` code for each Herald reason (or close name): the one table.
 * Pusher's ranges: 4000–4099 do not reconnect, 4100–4199 back off then reconnect, 4200–4299 reconnect
 * at once. Herald's own codes are in libs/protocol (close-codes.ts); docs/pusher.md lists this mapping.
 */
const PUSHER_CODE_BY_REASON: Readonly<Record<string, number>> = {
  pusher_protocol: 4007,
  invalid_key: 4001,
  app_not_found: 4001,
  app_suspended: 4003,
  too_many_connections: 4004,
  unauthorized: 4009,
  key_revoked: 4009,
  key_expired: 4009,
  origin_not_allowed: 4009,
  forbidden: 4009,
  invalid_request: 4009,
  unavailable: 4100,
  rate_limited: 4100,
  server_shutdown: 4200,
  internal_error: 4200,
  slow_consumer: 4200,
  heartbeat_timeout: 4201,
  client_event_rate: 4301,
};

/** Pusher's "unauthorized": no such key or no right (the default for a terminal Herald refusal). */
const PUSHER_UNAUTHORIZED = 4009;
/** Pusher's "reconnect now" (the default for anything Herald asks a client to come back from). */
const PUSHER_RECONNECT = 4200;

/**
 * The Pusher code for a Herald refusal or close. `reason` is Herald's reason (or the text of a close,
 * `reason: detail`); `heraldCode` decides the range when the reason is not in the table.
 */
export function pusherCodeFor(reason: string, heraldCode?: number): number {
  const name = reason.split(':', 1)[0].trim().replace(/ /g, '_');
  const known = PUSHER_CODE_BY_REASON[name];
  if (known !== undefined) return known;
  return heraldCode !== undefined && isTerminalClose(heraldCode) ? PUSHER_UNAUTHORIZED : PUSHER_RECONNECT;
}
