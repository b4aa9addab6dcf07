import type { Duplex } from 'node:stream';
import { generate, type IPublishPacket } from 'mqtt-packet';
import { CLOSE_CODES } from '@herald/protocol';
import type { OutboundFrame } from '../session/outbound-frame.js';
import type { Transport } from '../session/transport.js';
import { mqtt5Code } from './mqtt-codes.js';
import type { TopicFilter } from './topic-filter.js';

/** MQTT protocol levels served: 3.1.1 (4) and 5.0 (5). */
export type MqttVersion = 4 | 5;

/** A channel message as MQTT carries it: the topic is the channel; a string is its bytes, anything else its JSON text. */
interface MqttMessage {
  topic: string;
  payload: Buffer;
  offset: number;
  epoch: string;
  /** QoS 0 PUBLISH packets, built once per message for every subscriber of each protocol level. */
  qos0?: Partial<Record<MqttVersion, Buffer>>;
}

const messages = new WeakMap<OutboundFrame, MqttMessage>();

function mqttMessage(frame: OutboundFrame): MqttMessage {
  let m = messages.get(frame);
  if (m) return m;
  const parsed = JSON.parse(frame.text()) as { channel: string; content: unknown; offset: number; epoch: string };
  const payload = Buffer.from(typeof parsed.content === 'string' ? parsed.content : JSON.stringify(parsed.content), 'utf8');
  m = { topic: parsed.channel, payload, offset: parsed.offset, epoch: parsed.epoch };
  messages.set(frame, m);
  return m;
}

function publishPacket(m: Pick<MqttMessage, 'topic' | 'payload'>, qos: 0 | 1, version: MqttVersion, messageId?: number, retain = false): Buffer {
  const packet: IPublishPacket = { cmd: 'publish', topic: m.topic, payload: m.payload, qos, dup: false, retain, messageId };
  return generate(packet, { protocolVersion: version });
}

/**
 * An MQTT connection (TCP or WebSocket stream) as the session core sees it. Channel messages become
 * PUBLISH packets at the QoS granted for their channel; every other core frame (replies, presence
 * events, resets) has no MQTT form, because SUBACK and PUBACK are written by MqttConnection itself.
 * MQTT servers do not ping: the client's keep-alive is the heartbeat (the core closes a connection
 * silent for keep-alive + HERALD_PONG_TIMEOUT_MS; keep-alive 0 = the socket's own liveness).
 */
export class MqttTransport implements Transport {
  readonly name = 'mqtt' as const;
  readonly unidirectional: boolean;
  readonly pingIntervalMs: number;
  /** Channel → the QoS granted in SUBACK. */
  readonly granted = new Map<string, 0 | 1>();
  /** Wildcard topic filter → its matcher and granted QoS (live only: matched channels have no positions). */
  readonly filters = new Map<string, { match: TopicFilter; qos: 0 | 1 }>();
  /**
   * Where the client stands in each channel: the last message it has (sent at QoS 0, acknowledged at QoS 1).
   * A persistent session saves these; resuming from them re-sends what was not acknowledged.
   */
  readonly positions = new Map<string, { offset: number; epoch: string }>();
  /** Channels a resumed subscription could not continue (`recovered: false`): the session is lost. */
  readonly lost = new Set<string>();
  /** Positions changed since the last save. */
  dirty = false;
  /** Why the server closed the connection (`reason: detail`), if it did. */
  closedFor?: string;
  /** QoS 1 deliveries not yet acknowledged: packet id → the message's channel and position. */
  private readonly inflight = new Map<number, { channel: string; offset: number; epoch: string }>();
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    readonly version: MqttVersion,
    keepAliveSeconds: number,
    private readonly maxBufferedBytes: number,
    private readonly maxInflight: number,
  ) {
    this.unidirectional = keepAliveSeconds === 0;
    this.pingIntervalMs = Math.max(1, keepAliveSeconds) * 1000;
  }

  whenClosed(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  terminate(): void {
    this.socket.destroy();
  }

  send(frame: OutboundFrame): void {
    if (this.closed) return;
    if (frame.type === 'subscribed') return this.subscribed(frame);
    if (frame.type !== 'message') return;
    const m = mqttMessage(frame);
    const qos = this.granted.get(m.topic);
    if (qos !== undefined) this.deliver(m, qos, true);
  }

  /**
   * A message of a channel matched only by wildcard filters (not subscribed by name), at the highest QoS
   * they granted. No position moves: wildcard deliveries are live only.
   */
  sendMatched(frame: OutboundFrame, qos: 0 | 1): void {
    if (!this.closed) this.deliver(mqttMessage(frame), qos, false);
  }

  private deliver(m: MqttMessage, qos: 0 | 1, positioned: boolean): void {
    if (qos === 0) {
      const cache = (m.qos0 ??= {});
      if (positioned) this.advance(m.topic, m.offset, m.epoch);
      return this.write((cache[this.version] ??= publishPacket(m, 0, this.version)));
    }
    if (this.inflight.size >= this.maxInflight) return this.close(CLOSE_CODES.slow_consumer, 'slow_consumer: too many unacknowledged QoS 1 messages');
    const id = this.packetId();
    this.inflight.set(id, positioned ? { channel: m.topic, offset: m.offset, epoch: m.epoch } : { channel: m.topic, offset: -1, epoch: '' });
    this.write(publishPacket(m, 1, this.version, id));
  }

  /** A channel's retained message, to a new subscriber (by name or by a filter's QoS), with the retain flag (it has no position in the log). */
  sendRetained(channel: string, payload: string, qos = this.granted.get(channel)): void {
    if (qos === undefined || this.closed) return;
    const m = { topic: channel, payload: Buffer.from(payload, 'utf8') };
    if (qos === 0) return this.write(publishPacket(m, 0, this.version, undefined, true));
    const id = this.packetId();
    this.inflight.set(id, { channel, offset: -1, epoch: '' });
    this.write(publishPacket(m, 1, this.version, id, true));
  }

  /** A PUBACK from the client: its position moves past that message. */
  acknowledged(messageId: number): void {
    const m = this.inflight.get(messageId);
    if (!m) return;
    this.inflight.delete(messageId);
    if (m.offset >= 0) this.advance(m.channel, m.offset, m.epoch);
  }

  /** A subscription is live: a fresh one starts at the channel's tip; a resumed one that could not continue is lost. */
  private subscribed(frame: OutboundFrame): void {
    const f = JSON.parse(frame.text()) as { channel: string; offset: number; epoch: string };
    const held = this.positions.get(f.channel);
    if (held && !frame.recovered) this.lost.add(f.channel);
    if (!held || !frame.recovered) this.positions.set(f.channel, { offset: f.offset, epoch: f.epoch });
    this.dirty = true;
  }

  private advance(channel: string, offset: number, epoch: string): void {
    const p = this.positions.get(channel);
    if (p && p.epoch === epoch && p.offset >= offset) return;
    this.positions.set(channel, { offset, epoch });
    this.dirty = true;
  }

  /** An MQTT packet built by the connection (CONNACK, SUBACK, PUBACK, PINGRESP, DISCONNECT). */
  write(bytes: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.socket.writableLength > this.maxBufferedBytes) return this.close(CLOSE_CODES.slow_consumer, 'slow_consumer: slow consumer');
    this.socket.write(bytes);
  }

  ping(): void {
    // The client pings (PINGREQ); a server has nothing to send.
  }

  /** MQTT 5 clients get a DISCONNECT with the reason code (3.1.1 has none); then the stream ends. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closedFor = reason;
    if (this.version === 5 && !this.socket.destroyed) {
      this.socket.write(generate({ cmd: 'disconnect', reasonCode: mqtt5Code(reason, 'disconnect', code), properties: { reasonString: reason.slice(0, 200) } }, { protocolVersion: 5 }));
    }
    this.closed = true;
    this.socket.end();
    // A peer that never closes its side is dropped after a grace period.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
  }

  private packetId(): number {
    do this.nextId = (this.nextId % 65_535) + 1;
    while (this.inflight.has(this.nextId));
    return this.nextId;
  }
}
