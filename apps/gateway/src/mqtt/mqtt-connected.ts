import { HeraldError } from '@herald/protocol';
import type { PreparedPublish } from '@herald/publishing';
import type { Session } from '../session/session.js';
import type { MqttTransport } from './mqtt-transport.js';

/** What an MQTT connection knows after CONNECT: shared by the connection, its subscriptions and its publishes. */
export interface Connected {
  session: Session;
  transport: MqttTransport;
  clientId: string;
  /** Seconds a persistent session outlives the connection; undefined for a clean session. */
  persistFor?: number;
  checkpoint?: NodeJS.Timeout;
  /** The CONNECT password when it is an access token (checked per channel, as everywhere). */
  accessToken?: string;
  /** QoS 2 packet ids published and waiting for PUBREL: a resent PUBLISH is not published twice. */
  awaitingRelease: Set<number>;
  /** The Last Will, checked at CONNECT; published if the connection ends without a DISCONNECT. */
  will?: PreparedPublish;
}

/** A refusal with an MQTT 5 reason code of its own (no Herald reason maps to it). */
export class MqttRefusal extends HeraldError {
  constructor(
    reason: 'invalid_message',
    detail: string,
    readonly mqttCode: number,
  ) {
    super(reason, detail);
  }
}

/** MQTT payloads must be UTF-8 text (they reach every other transport as string messages). */
export const utf8 = new TextDecoder('utf-8', { fatal: true });
