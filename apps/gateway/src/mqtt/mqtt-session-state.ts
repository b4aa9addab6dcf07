import type { IConnectPacket } from 'mqtt-packet';
import type { MqttSessionState } from '@herald/bus';
import type { HeraldConfig } from '@herald/config';
import type { MqttTransport } from './mqtt-transport.js';

/**
 * How long an MQTT session outlives its connection, in seconds: 3.1.1 `cleanSession=false` keeps it
 * HERALD_MQTT_SESSION_TTL_S; 5.0 keeps it its Session Expiry Interval (0 = none), capped by
 * HERALD_MQTT_SESSION_MAX_S; a clean 3.1.1 session, none (undefined).
 */
export function sessionLifetime(packet: IConnectPacket, limits: HeraldConfig['mqtt']): number | undefined {
  if (packet.protocolVersion === 5) {
    const expiry = packet.properties?.sessionExpiryInterval ?? 0;
    return expiry > 0 ? Math.min(expiry, limits.sessionMaxSeconds) : undefined;
  }
  return packet.clean === false ? limits.sessionTtlSeconds : undefined;
}

/** What a persistent session keeps: each granted subscription with the client's position in it, and its wildcard filters. */
export function sessionStateOf(transport: MqttTransport): MqttSessionState {
  const subscriptions: MqttSessionState['subscriptions'] = {};
  for (const [channel, qos] of transport.granted) {
    const p = transport.positions.get(channel);
    if (p) subscriptions[channel] = { qos, offset: p.offset, epoch: p.epoch };
  }
  const filters: Record<string, 0 | 1> = {};
  for (const [filter, { qos }] of transport.filters) filters[filter] = qos;
  return { subscriptions, filters };
}
