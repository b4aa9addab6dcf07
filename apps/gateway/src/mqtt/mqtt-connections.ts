import type { Duplex } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { generate, parser as mqttParser, type IConnectPacket, type IPublishPacket, type ISubscribePacket, type IUnsubscribePacket, type Packet } from 'mqtt-packet';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { KeyResolver, type AppContext } from '@herald/db';
import { MqttRetained, MqttSessions, type MqttSessionState } from '@herald/bus';
import { PublishService, type PreparedPublish } from '@herald/publishing';
import { kindOfKey, randomBase62 } from '@herald/auth';
import { CLOSE_CODES, HARD_FRAME_LIMIT, HeraldError } from '@herald/protocol';
import { mapError } from '@herald/http';
import { ConnectAuth } from '../connect/connect-auth.js';
import { SessionCore } from '../session/session-core.js';
import type { Session } from '../session/session.js';
import { MQTT311, MQTT5, mqtt311ConnackCode, mqtt5Code, validFor } from './mqtt-codes.js';
import { MqttTransport, type MqttVersion } from './mqtt-transport.js';
import { sessionLifetime, sessionStateOf } from './mqtt-session-state.js';

/** Bytes an MQTT client may have queued before it counts as too slow (as for /ws). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** QoS 1 deliveries a client may leave unacknowledged (MQTT 5's Receive Maximum, from the server side). */
const MAX_INFLIGHT = 1000;
/** The largest packet taken: a message at the hard frame limit plus its topic and header. */
const MAX_PACKET_BYTES = HARD_FRAME_LIMIT + 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What the connection knows after CONNECT. */
interface Connected {
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

const isWildcard = (topic: string) => topic.includes('+') || topic.includes('#');

/** A refusal with an MQTT 5 reason code of its own (no Herald reason maps to it). */
class MqttRefusal extends HeraldError {
  constructor(
    reason: 'invalid_message',
    detail: string,
    readonly mqttCode: number,
  ) {
    super(reason, detail);
  }
}

/**
 * MQTT 3.1.1 and 5.0 (issue 17) as one more transport adapter over the gateway's session core: the
 * packet codec is `mqtt-packet`; keys, channels, limits, history and fan-out are the core's, so an MQTT
 * client, a WebSocket client and a REST publisher share one channel log. Topics are channels. CONNECT's
 * username is an app key; its password (optional) is the app secret or an access token.
 */
@Injectable()
export class MqttConnections {
  private readonly logger;

  constructor(
    private readonly core: SessionCore,
    private readonly auth: ConnectAuth,
    private readonly keys: KeyResolver,
    private readonly stored: MqttSessions,
    private readonly retained: MqttRetained,
    private readonly publisher: PublishService,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  /** A new TCP or WebSocket stream; `origin` is the browser's Origin on WebSocket. */
  accept(stream: Duplex, origin?: string): void {
    const parser = mqttParser({ protocolVersion: 4 });
    let state: Connected | 'connecting' | 'refused' | undefined;
    // Packets are handled one at a time, in order (a SUBSCRIBE pipelined behind CONNECT waits for it).
    let queue: Promise<void> = Promise.resolve();
    const connectTimer = setTimeout(() => state === undefined && stream.destroy(), this.config.headersTimeoutMs);
    connectTimer.unref();
    /** A protocol violation: MQTT 5 clients get DISCONNECT with the code (`reason: detail`), then the stream ends. */
    const fail = (reason: 'malformed_packet' | 'protocol_error' | 'frame_too_large', detail: string) => {
      if (typeof state === 'object') this.core.disconnect(state.session, CLOSE_CODES.invalid_request, `${reason}: ${detail}`);
      else stream.destroy();
    };
    parser.on('packet', (packet: Packet) => {
      if (state === undefined) {
        if (packet.cmd !== 'connect') return fail('protocol_error', 'the first packet must be CONNECT');
        state = 'connecting';
        clearTimeout(connectTimer);
        // mqtt-packet reads later packets by the level CONNECT named (5.0 adds properties).
        (parser as unknown as { settings: { protocolVersion?: number } }).settings.protocolVersion = packet.protocolVersion;
        queue = queue.then(async () => {
          const connected = await this.connect(stream, packet, origin);
          state = connected ?? 'refused';
        });
        return;
      }
      queue = queue.then(() => (typeof state === 'object' ? this.handle(state, packet) : undefined)).catch((e: unknown) => {
        this.logger.error({ err: (e as Error)?.message }, 'mqtt packet failed');
        if (typeof state === 'object') this.core.disconnect(state.session, CLOSE_CODES.internal_error, 'internal_error: packet failed');
      });
    });
    parser.on('error', (e: Error) => fail('malformed_packet', e.message));
    stream.on('data', (chunk: Buffer) => {
      if (typeof state === 'object') this.core.alive(state.session);
      parser.parse(chunk);
      // mqtt-packet buffers a packet until it is whole: one announcing more than the limit is refused now.
      if (((parser as unknown as { packet?: { length?: number } }).packet?.length ?? 0) > MAX_PACKET_BYTES) fail('frame_too_large', `a packet over ${MAX_PACKET_BYTES} bytes`);
    });
    stream.on('error', () => stream.destroy());
    stream.on('close', () => {
      clearTimeout(connectTimer);
      if (typeof state !== 'object') return;
      this.core.closed(state.session);
      clearInterval(state.checkpoint);
      void this.persist(state);
      this.publishWill(state);
    });
  }

  private async connect(stream: Duplex, packet: IConnectPacket, origin?: string): Promise<Connected | undefined> {
    const version = packet.protocolVersion === 5 ? 5 : 4;
    const refuse = (reason: string, detail: string) => {
      const connack =
        version === 5
          ? generate({ cmd: 'connack', sessionPresent: false, reasonCode: mqtt5Code(reason, 'connack'), properties: { reasonString: detail.slice(0, 200) } }, { protocolVersion: 5 })
          : generate({ cmd: 'connack', sessionPresent: false, returnCode: mqtt311ConnackCode(reason) }, { protocolVersion: 4 });
      stream.end(connack);
      setTimeout(() => stream.destroy(), 2_000).unref();
      return undefined;
    };
    if (packet.protocolVersion !== 4 && packet.protocolVersion !== 5) {
      const connack = generate({ cmd: 'connack', sessionPresent: false, returnCode: MQTT311.unacceptableProtocolVersion }, { protocolVersion: 4 });
      stream.end(connack);
      return undefined;
    }
    if (!packet.clientId && packet.clean === false) return refuse('invalid_request', 'A persistent session needs a client id');
    try {
      const credentials = await this.credentials(packet, origin);
      const appId = credentials.connect.ctx.app.id;
      const clientId = packet.clientId || `herald-${randomBase62(12)}`;
      const persistFor = sessionLifetime(packet, this.config.mqtt);
      // A clean session starts from nothing: whatever the client id had before is forgotten.
      const resumed = persistFor !== undefined && packet.clientId && !packet.clean ? await this.stored.load(appId, clientId) : null;
      if (persistFor === undefined || !packet.clientId || packet.clean) await this.stored.drop(appId, clientId);
      const will = await this.prepareWill(packet, credentials.connect.ctx, credentials.accessToken);
      const admitted = await this.auth.admit(credentials.connect);
      const transport = new MqttTransport(stream, version, packet.keepalive ?? 0, MAX_BUFFERED_BYTES, MAX_INFLIGHT);
      // CONNACK first: the session core's own `connected` frame has no MQTT form.
      transport.write(
        generate(
          version === 5
            ? {
                cmd: 'connack',
                sessionPresent: resumed !== null,
                reasonCode: MQTT5.success,
                properties: {
                  maximumQoS: 1,
                  wildcardSubscriptionAvailable: false,
                  sharedSubscriptionAvailable: false,
                  maximumPacketSize: MAX_PACKET_BYTES,
                  topicAliasMaximum: 0,
                  receiveMaximum: MAX_INFLIGHT,
                  ...(packet.clientId ? {} : { assignedClientIdentifier: clientId }),
                },
              }
            : { cmd: 'connack', sessionPresent: resumed !== null, returnCode: MQTT311.accepted },
          { protocolVersion: version },
        ),
      );
      const session = this.core.open(admitted, transport);
      const c: Connected = { session, transport, clientId, persistFor, accessToken: credentials.accessToken, awaitingRelease: new Set(), will };
      if (persistFor !== undefined) {
        // This connection owns the client id's session now: a connection of the same client ending later saves nothing.
        await this.stored.claim(appId, clientId, session.id, resumed ?? { subscriptions: {} }, persistFor);
        c.checkpoint = setInterval(() => transport.dirty && void this.persist(c), this.config.mqtt.checkpointMs);
        c.checkpoint.unref();
      }
      if (resumed) await this.resume(c, resumed);
      return c;
    } catch (e) {
      const { body, unexpected } = mapError(e);
      if (unexpected) this.logger.error({ err: (e as Error)?.message }, 'mqtt connect failed');
      return refuse(body.reason, body.content);
    }
  }

  /**
   * username = an app key (common or subscribe); password = nothing, the app's secret (full rights, as
   * for REST), or an access token (private channels, checked per channel).
   */
  private async credentials(packet: IConnectPacket, origin?: string) {
    if (!packet.username) throw new HeraldError('invalid_key', 'CONNECT needs the app key as user name');
    const connect = await this.auth.authenticate(new URLSearchParams({ appkey: packet.username }), origin);
    const password = packet.password?.toString('utf8');
    if (!password) return { connect };
    if (kindOfKey(password) === 'secret') {
      const secret = await this.keys.resolve(password);
      if (secret.app.id !== connect.ctx.app.id) throw new HeraldError('unauthorized', 'The password is not this app’s secret');
      return { connect: { ...connect, ctx: secret } };
    }
    return { connect, accessToken: password };
  }

  private async handle(c: Connected, packet: Packet): Promise<void> {
    switch (packet.cmd) {
      case 'publish':
        return this.publish(c, packet);
      case 'puback':
        return c.transport.acknowledged(packet.messageId ?? 0);
      case 'pubrel':
        c.awaitingRelease.delete(packet.messageId ?? 0);
        return c.transport.write(generate({ cmd: 'pubcomp', messageId: packet.messageId }, { protocolVersion: c.transport.version }));
      case 'subscribe':
        return this.subscribe(c, packet);
      case 'unsubscribe':
        return this.unsubscribe(c, packet);
      case 'pingreq':
        return c.transport.write(generate({ cmd: 'pingresp' }, { protocolVersion: c.transport.version }));
      case 'disconnect':
        // A normal DISCONNECT discards the will; 5.0's 0x04 "disconnect with will message" keeps it.
        if (!(c.transport.version === 5 && packet.reasonCode === 0x04)) c.will = undefined;
        this.core.closed(c.session);
        c.transport.terminate();
        return;
      default:
        // A second CONNECT, AUTH, or a packet only a server sends: a protocol error (MQTT 3.1.1 §3.1, 5.0 §4.13).
        this.core.disconnect(c.session, CLOSE_CODES.invalid_request, `invalid_request: unexpected ${packet.cmd.toUpperCase()}`);
    }
  }

  /**
   * The Last Will, checked as a publish at CONNECT (topic, UTF-8 payload, the key's right to publish, a
   * private channel's token, the plan's payload size): a will that could never be published refuses the
   * connection rather than being dropped later. Its retain flag and 5.0 Will Delay are not honoured yet.
   */
  private async prepareWill(packet: IConnectPacket, ctx: AppContext, accessToken?: string): Promise<PreparedPublish | undefined> {
    if (!packet.will) return undefined;
    let message: string;
    try {
      message = utf8.decode(typeof packet.will.payload === 'string' ? Buffer.from(packet.will.payload) : packet.will.payload);
    } catch {
      throw new HeraldError('invalid_message', 'The will payload must be UTF-8 text');
    }
    return this.publisher.prepare(ctx, { channel: packet.will.topic, message, accessToken });
  }

  /**
   * Publishes the will of a connection that ended without DISCONNECT (a lost network, a keep-alive
   * timeout, a protocol error) — not of one a draining gateway sent elsewhere: that client reconnects.
   */
  private publishWill(c: Connected): void {
    const will = c.will;
    c.will = undefined;
    if (!will || c.transport.closedFor?.startsWith('server_shutdown')) return;
    this.publisher.publishPrepared(c.session.ctx.app, will).catch((e: Error) => this.logger.warn({ err: e.message, app: c.session.appId }, 'mqtt will not published'));
  }

  /**
   * A persistent session back on any gateway: every stored subscription resumes from the client's
   * position, replaying what it missed in order. A channel whose history no longer reaches back that far
   * (or whose epoch changed) cannot: the session is lost, dropped, and the client told so by a close, so
   * that it reconnects with `sessionPresent: false` — never a silent gap.
   */
  private async resume(c: Connected, state: MqttSessionState): Promise<void> {
    for (const [channel, sub] of Object.entries(state.subscriptions)) {
      c.transport.granted.set(channel, sub.qos === 0 ? 0 : 1);
      c.transport.positions.set(channel, { offset: sub.offset, epoch: sub.epoch });
      const [failed] = await this.core.subscribe(c.session, [{ channel, since: { offset: sub.offset, epoch: sub.epoch }, accessToken: c.accessToken }]);
      if (failed) c.transport.lost.add(channel);
    }
    if (c.transport.lost.size === 0) return;
    await this.stored.drop(c.session.appId, c.clientId);
    c.persistFor = undefined;
    clearInterval(c.checkpoint);
    const shown = [...c.transport.lost].slice(0, 3).join(', ');
    this.core.disconnect(c.session, CLOSE_CODES.invalid_request, `session_lost: ${shown} cannot resume (beyond the history window or reset); reconnect for a new session`);
  }

  /** Saves a persistent session's subscriptions and positions (on changes, periodically, and at the end). */
  private async persist(c: Connected): Promise<void> {
    if (c.persistFor === undefined) return;
    c.transport.dirty = false;
    await this.stored.save(c.session.appId, c.clientId, c.session.id, sessionStateOf(c.transport), c.persistFor).catch((e: Error) => {
      c.transport.dirty = true;
      this.logger.warn({ err: e.message }, 'mqtt session save failed');
    });
  }

  private async subscribe(c: Connected, packet: ISubscribePacket): Promise<void> {
    const v5 = c.transport.version === 5;
    const granted: number[] = [];
    /** Channels whose retained message goes out after the SUBACK. */
    const retainedFor: string[] = [];
    for (const { topic, qos, rh } of packet.subscriptions) {
      if (topic.startsWith('$share/')) {
        granted.push(v5 ? MQTT5.sharedSubscriptionsNotSupported : MQTT311.subscribeFailure);
        continue;
      }
      if (isWildcard(topic)) {
        granted.push(v5 ? MQTT5.wildcardSubscriptionsNotSupported : MQTT311.subscribeFailure);
        continue;
      }
      const level: 0 | 1 = qos === 0 ? 0 : 1;
      // MQTT: subscribing again replaces the subscription (its QoS), it is no error.
      // Retain Handling (5.0): 0 sends the retained message on every SUBSCRIBE, 1 only on a new one, 2 never.
      if (c.session.subscriptions.has(topic)) {
        c.transport.granted.set(topic, level);
        granted.push(level);
        if (!rh) retainedFor.push(topic);
        continue;
      }
      c.transport.granted.set(topic, level);
      const [failed] = await this.core.subscribe(c.session, [{ channel: topic, accessToken: c.accessToken }]);
      if (failed) {
        c.transport.granted.delete(topic);
        granted.push(v5 ? mqtt5Code(failed.reason, 'suback', failed.code) : MQTT311.subscribeFailure);
      } else {
        granted.push(level);
        if (rh !== 2) retainedFor.push(topic);
      }
    }
    await this.persist(c);
    c.transport.write(generate({ cmd: 'suback', messageId: packet.messageId, granted }, { protocolVersion: c.transport.version }));
    for (const topic of retainedFor) {
      const payload = await this.retained.get(c.session.appId, topic);
      if (payload !== null) c.transport.sendRetained(topic, payload);
    }
  }

  private async unsubscribe(c: Connected, packet: IUnsubscribePacket): Promise<void> {
    const held = new Set(await this.core.unsubscribe(c.session, packet.unsubscriptions));
    for (const topic of packet.unsubscriptions) {
      c.transport.granted.delete(topic);
      c.transport.positions.delete(topic);
    }
    await this.persist(c);
    // MQTT 5: 0x00 success, 0x11 no subscription existed; 3.1.1's UNSUBACK carries no codes.
    const granted = c.transport.version === 5 ? packet.unsubscriptions.map((t) => (held.has(t) ? MQTT5.success : 0x11)) : [];
    c.transport.write(generate({ cmd: 'unsuback', messageId: packet.messageId, granted }, { protocolVersion: c.transport.version }));
  }

  /**
   * A client's PUBLISH: acknowledged (PUBACK, or PUBREC for QoS 2) only once Herald accepted it durably.
   * A refusal is a PUBACK reason code on 5.0; 3.1.1 has none, so a refused QoS 1/2 publish closes the
   * connection (never an acknowledgement of a message that was not stored) and a refused QoS 0 one is dropped.
   */
  private async publish(c: Connected, packet: IPublishPacket): Promise<void> {
    const { transport } = c;
    const v5 = transport.version === 5;
    const id = packet.messageId;
    if (packet.qos === 2 && id !== undefined && c.awaitingRelease.has(id)) {
      return transport.write(generate({ cmd: 'pubrec', messageId: id }, { protocolVersion: transport.version }));
    }
    try {
      let message: string;
      try {
        message = utf8.decode(packet.payload as Buffer);
      } catch {
        throw new MqttRefusal('invalid_message', 'MQTT payloads must be UTF-8 text', MQTT5.payloadFormatInvalid);
      }
      await this.core.publishFrom(c.session, { channel: packet.topic, message, accessToken: c.accessToken });
      // Stored (or cleared, by an empty payload) once published, before the acknowledgement.
      if (packet.retain) await this.retained.set(c.session.appId, packet.topic, message, c.session.ctx.app.historyTtlSeconds);
      if (packet.qos === 1) transport.write(generate({ cmd: 'puback', messageId: id }, { protocolVersion: transport.version }));
      else if (packet.qos === 2) {
        c.awaitingRelease.add(id ?? 0);
        transport.write(generate({ cmd: 'pubrec', messageId: id }, { protocolVersion: transport.version }));
      }
    } catch (e) {
      const err = e instanceof HeraldError ? e : new HeraldError('internal_error');
      if (!(e instanceof HeraldError)) this.logger.error({ err: (e as Error)?.message }, 'mqtt publish failed');
      const code = e instanceof MqttRefusal ? validFor(e.mqttCode, 'puback') : mqtt5Code(err.reason, 'puback', err.code);
      if (packet.qos === 0) {
        // Nothing to answer on; a 5.0 client learns of a payload it must not send again.
        if (v5 && code === MQTT5.payloadFormatInvalid) this.core.disconnect(c.session, CLOSE_CODES.invalid_request, `invalid_message: ${err.message}`);
        return;
      }
      if (!v5) return this.core.disconnect(c.session, CLOSE_CODES.invalid_request, `${err.reason}: ${err.message}`);
      const cmd = packet.qos === 1 ? 'puback' : 'pubrec';
      transport.write(generate({ cmd, messageId: id, reasonCode: code, properties: { reasonString: `${err.reason}: ${err.message}`.slice(0, 200) } }, { protocolVersion: 5 }));
    }
  }
}
