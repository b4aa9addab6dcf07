import type { Duplex } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { generate, parser as mqttParser, type IConnectPacket, type Packet } from 'mqtt-packet';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { AccessTokens, KeyResolver } from '@herald/db';
import { MqttSessions } from '@herald/bus';
import { kindOfKey, randomBase62, verifyAccessToken } from '@herald/auth';
import { CLOSE_CODES, HARD_FRAME_LIMIT, HeraldError } from '@herald/protocol';
import { mapError } from '@herald/http';
import { ConnectAuth, type Connect } from '../connect/connect-auth.js';
import { SessionCore } from '../session/session-core.js';
import { MQTT311, MQTT5, mqtt311ConnackCode, mqtt5Code } from './mqtt-codes.js';
import type { Connected } from './mqtt-connected.js';
import { MqttPublishing } from './mqtt-publishing.js';
import { MqttSubscriptions } from './mqtt-subscriptions.js';
import { MqttTakeover } from './mqtt-takeover.js';
import { MqttTransport } from './mqtt-transport.js';
import { sessionLifetime } from './mqtt-session-state.js';

/** Bytes an MQTT client may have queued before it counts as too slow (as for /ws). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** QoS 1 deliveries a client may leave unacknowledged (MQTT 5's Receive Maximum, from the server side). */
const MAX_INFLIGHT = 1000;
/** The largest packet taken: a message at the hard frame limit plus its topic and header. */
const MAX_PACKET_BYTES = HARD_FRAME_LIMIT + 1024;

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
    private readonly access: AccessTokens,
    private readonly stored: MqttSessions,
    private readonly subscriptions: MqttSubscriptions,
    private readonly publishing: MqttPublishing,
    private readonly takeover: MqttTakeover,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  /** A new TCP or WebSocket stream; `origin` is the browser's Origin on WebSocket. */
  accept(stream: Duplex, origin?: string): void {
    const parser = mqttParser({ protocolVersion: 4 });
    let state: Connected | 'connecting' | 'refused' | undefined;
    let closed = false;
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
          // The client may have gone while CONNECT was still being set up after its CONNACK (the session
          // claim, the takeover): the close found no connection then, so end this one now — its will
          // published, its session saved and its slot released, as for any other close.
          if (connected && closed) ended(connected);
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
    const ended = (c: Connected) => {
      this.core.closed(c.session);
      clearInterval(c.checkpoint);
      void this.subscriptions.persist(c);
      this.publishing.publishWill(c);
    };
    stream.on('close', () => {
      closed = true;
      clearTimeout(connectTimer);
      if (typeof state === 'object') ended(state);
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
      const will = await this.publishing.prepareWill(packet, credentials.connect.ctx, credentials.accessToken, credentials.connect.user?.id);
      await this.takeover.listen();
      if (resumed) await this.subscriptions.prepareResume(appId, resumed);
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
                  wildcardSubscriptionAvailable: true,
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
      // Wildcard filters match from here on; subscriptions by name resume after the claim.
      const filters = resumed ? this.subscriptions.resumeFilters(c, resumed) : undefined;
      if (persistFor !== undefined) {
        // This connection owns the client id's session now: a connection of the same client ending later saves nothing.
        await this.stored.claim(appId, clientId, session.id, resumed ?? { subscriptions: {} }, persistFor);
        c.checkpoint = setInterval(() => transport.dirty && void this.subscriptions.persist(c), this.config.mqtt.checkpointMs);
        c.checkpoint.unref();
      }
      // After the claim (or the clean start's drop): an older connection's last save no longer counts.
      await this.takeover.takeOver(c);
      if (resumed) await this.subscriptions.resume(c, resumed, filters);
      return c;
    } catch (e) {
      const { body, unexpected } = mapError(e);
      if (unexpected) this.logger.error({ err: (e as Error)?.message }, 'mqtt connect failed');
      return refuse(body.reason, body.content);
    }
  }

  /**
   * username = an app key (common or subscribe); password = nothing, the app's secret (full rights, as
   * for REST), or an access token (private channels, checked per channel). An access token naming a
   * user (`id`) makes the connection that user: it joins the presence of every channel it subscribes to.
   */
  private async credentials(packet: IConnectPacket, origin?: string): Promise<{ connect: Connect; accessToken?: string }> {
    if (!packet.username) throw new HeraldError('invalid_key', 'CONNECT needs the app key as user name');
    const connect = await this.auth.authenticate(new URLSearchParams({ appkey: packet.username }), origin);
    const password = packet.password?.toString('utf8');
    if (!password) return { connect };
    if (kindOfKey(password) === 'secret') {
      const secret = await this.keys.resolve(password);
      if (secret.app.id !== connect.ctx.app.id) throw new HeraldError('unauthorized', 'The password is not this app’s secret');
      return { connect: { ...connect, ctx: secret } };
    }
    const check = await verifyAccessToken(password, await this.access.secretsOf(connect.ctx.app.id, Date.now()));
    // A token that does not verify is refused per channel, where it is used (as on every transport).
    const user = check.ok && check.claims.id !== undefined ? { id: check.claims.id, data: {} } : undefined;
    return { connect: { ...connect, user }, accessToken: password };
  }

  private async handle(c: Connected, packet: Packet): Promise<void> {
    switch (packet.cmd) {
      case 'publish':
        return this.publishing.publish(c, packet);
      case 'puback':
        return c.transport.acknowledged(packet.messageId ?? 0);
      case 'pubrel':
        c.awaitingRelease.delete(packet.messageId ?? 0);
        return c.transport.write(generate({ cmd: 'pubcomp', messageId: packet.messageId }, { protocolVersion: c.transport.version }));
      case 'subscribe':
        return this.subscriptions.subscribe(c, packet);
      case 'unsubscribe':
        return this.subscriptions.unsubscribe(c, packet);
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
        this.core.disconnect(c.session, CLOSE_CODES.invalid_request, `protocol_error: unexpected ${packet.cmd.toUpperCase()}`);
    }
  }
}
