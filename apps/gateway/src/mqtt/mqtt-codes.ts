import { isTerminalClose } from '@herald/protocol';

/** MQTT 5.0 reason codes Herald sends (OASIS MQTT 5.0, §2.4). */
export const MQTT5 = {
  success: 0x00,
  grantedQos1: 0x01,
  unspecified: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  serverShuttingDown: 0x8b,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetTooLarge: 0x95,
  messageRateTooHigh: 0x96,
  quotaExceeded: 0x97,
  payloadFormatInvalid: 0x99,
  sharedSubscriptionsNotSupported: 0x9e,
} as const;

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3) and the SUBACK failure code (§3.9.3). */
export const MQTT311 = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
  subscribeFailure: 0x80,
} as const;

type Pair = { v5: number; v311: number };

/**
 * The one table (docs/mqtt.md): Herald's reason (or a close's name) → MQTT 5 reason code and MQTT 3.1.1
 * CONNACK code. 3.1.1 has no reason on PUBACK, SUBACK (only 0x80) or DISCONNECT: there the connection
 * is closed, or the SUBACK fails, and the 5.0 code is what a 5.0 client reads.
 */
const BY_REASON: Readonly<Record<string, Pair>> = {
  malformed_packet: { v5: MQTT5.malformedPacket, v311: MQTT311.serverUnavailable },
  protocol_error: { v5: MQTT5.protocolError, v311: MQTT311.serverUnavailable },
  session_lost: { v5: MQTT5.unspecified, v311: MQTT311.serverUnavailable },
  session_taken_over: { v5: MQTT5.sessionTakenOver, v311: MQTT311.serverUnavailable },
  invalid_key: { v5: MQTT5.badUserNameOrPassword, v311: MQTT311.badUserNameOrPassword },
  app_not_found: { v5: MQTT5.badUserNameOrPassword, v311: MQTT311.badUserNameOrPassword },
  unauthorized: { v5: MQTT5.badUserNameOrPassword, v311: MQTT311.badUserNameOrPassword },
  key_revoked: { v5: MQTT5.badUserNameOrPassword, v311: MQTT311.badUserNameOrPassword },
  key_expired: { v5: MQTT5.badUserNameOrPassword, v311: MQTT311.badUserNameOrPassword },
  invalid_token: { v5: MQTT5.notAuthorized, v311: MQTT311.notAuthorized },
  token_expired: { v5: MQTT5.notAuthorized, v311: MQTT311.notAuthorized },
  token_required: { v5: MQTT5.notAuthorized, v311: MQTT311.notAuthorized },
  forbidden: { v5: MQTT5.notAuthorized, v311: MQTT311.notAuthorized },
  publish_forbidden: { v5: MQTT5.notAuthorized, v311: MQTT311.notAuthorized },
  origin_not_allowed: { v5: MQTT5.notAuthorized, v311: MQTT311.notAuthorized },
  app_suspended: { v5: MQTT5.notAuthorized, v311: MQTT311.notAuthorized },
  invalid_request: { v5: MQTT5.clientIdentifierNotValid, v311: MQTT311.identifierRejected },
  invalid_channel: { v5: MQTT5.topicNameInvalid, v311: MQTT311.serverUnavailable },
  invalid_message: { v5: MQTT5.payloadFormatInvalid, v311: MQTT311.serverUnavailable },
  payload_too_large: { v5: MQTT5.packetTooLarge, v311: MQTT311.serverUnavailable },
  frame_too_large: { v5: MQTT5.packetTooLarge, v311: MQTT311.serverUnavailable },
  too_many_connections: { v5: MQTT5.quotaExceeded, v311: MQTT311.serverUnavailable },
  too_many_channels: { v5: MQTT5.quotaExceeded, v311: MQTT311.serverUnavailable },
  too_many_members: { v5: MQTT5.quotaExceeded, v311: MQTT311.serverUnavailable },
  quota_exceeded: { v5: MQTT5.quotaExceeded, v311: MQTT311.serverUnavailable },
  rate_limited: { v5: MQTT5.messageRateTooHigh, v311: MQTT311.serverUnavailable },
  unavailable: { v5: MQTT5.serverUnavailable, v311: MQTT311.serverUnavailable },
  internal_error: { v5: MQTT5.unspecified, v311: MQTT311.serverUnavailable },
  server_shutdown: { v5: MQTT5.serverShuttingDown, v311: MQTT311.serverUnavailable },
  slow_consumer: { v5: MQTT5.serverBusy, v311: MQTT311.serverUnavailable },
  heartbeat_timeout: { v5: MQTT5.keepAliveTimeout, v311: MQTT311.serverUnavailable },
};

/** The name of a reason or of a close's text (`reason: detail`). */
const nameOf = (reason: string) => reason.split(':', 1)[0].trim().replace(/ /g, '_');

/** The MQTT 5 packets that carry a reason code, and the failure codes each may carry (MQTT 5.0 §3.2.2.2, §3.4.2.1, §3.9.3, §3.14.2.1). */
export type ReasonPacket = 'connack' | 'puback' | 'suback' | 'disconnect';
const VALID: Readonly<Record<ReasonPacket, ReadonlySet<number>>> = {
  connack: new Set([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f]),
  puback: new Set([0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]),
  suback: new Set([0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]),
  disconnect: new Set([0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2]),
};
/** MQTT 5's "implementation specific error": a refusal the packet has no code of its own for (its reason string says which). */
const IMPLEMENTATION_SPECIFIC = 0x83;

/**
 * MQTT 5 reason code for a Herald refusal or close, valid for the packet that carries it (a client's
 * codec rejects a PUBACK with a DISCONNECT-only code): the table's code, else 0x83 with the reason string.
 */
export function mqtt5Code(reason: string, packet: ReasonPacket, heraldCode?: number): number {
  const code = BY_REASON[nameOf(reason)]?.v5 ?? (heraldCode !== undefined && isTerminalClose(heraldCode) ? MQTT5.notAuthorized : MQTT5.unspecified);
  return VALID[packet].has(code) ? code : IMPLEMENTATION_SPECIFIC;
}

/** A code of our own choosing (no Herald reason maps to it), checked like the table's. */
export function validFor(code: number, packet: ReasonPacket): number {
  return VALID[packet].has(code) ? code : IMPLEMENTATION_SPECIFIC;
}

/** MQTT 3.1.1 CONNACK return code for a refused connection. */
export function mqtt311ConnackCode(reason: string): number {
  return BY_REASON[nameOf(reason)]?.v311 ?? MQTT311.serverUnavailable;
}
