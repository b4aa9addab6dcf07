import { Inject, Injectable } from '@nestjs/common';
import { generate, type IConnectPacket, type IPublishPacket } from 'mqtt-packet';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import type { AppContext } from '@herald/db';
import { MqttRetained } from '@herald/bus';
import { PublishService, type PreparedPublish } from '@herald/publishing';
import { CLOSE_CODES, HeraldError } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import { MQTT5, mqtt5Code, validFor } from './mqtt-codes.js';
import { MqttRefusal, utf8, type Connected } from './mqtt-connected.js';
import { retryTransient } from './retry-transient.js';

/** A Last Will refused for a transient reason: 5 attempts in all, 0.25 s before the first retry, doubling. */
const WILL_RETRY = { attempts: 5, backoffMs: 250 };

/** An MQTT client's PUBLISH packets and its Last Will: Herald's durable publish, acknowledged only once stored. */
@Injectable()
export class MqttPublishing {
  private readonly logger;

  constructor(
    private readonly core: SessionCore,
    private readonly retained: MqttRetained,
    private readonly publisher: PublishService,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  /**
   * A client's PUBLISH: acknowledged (PUBACK, or PUBREC for QoS 2) only once Herald accepted it durably.
   * A refusal is a PUBACK reason code on 5.0; 3.1.1 has none, so a refused QoS 1/2 publish closes the
   * connection (never an acknowledgement of a message that was not stored) and a refused QoS 0 one is dropped.
   */
  async publish(c: Connected, packet: IPublishPacket): Promise<void> {
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

  /**
   * The Last Will, checked as a publish at CONNECT (topic, UTF-8 payload, the key's right to publish, a
   * private channel's token, the plan's payload size): a will that could never be published refuses the
   * connection rather than being dropped later. Its retain flag and 5.0 Will Delay are not honoured yet.
   */
  async prepareWill(packet: IConnectPacket, ctx: AppContext, accessToken?: string, userId?: string): Promise<PreparedPublish | undefined> {
    if (!packet.will) return undefined;
    let message: string;
    try {
      message = utf8.decode(typeof packet.will.payload === 'string' ? Buffer.from(packet.will.payload) : packet.will.payload);
    } catch {
      throw new HeraldError('invalid_message', 'The will payload must be UTF-8 text');
    }
    return this.publisher.prepare(ctx, { channel: packet.will.topic, message, accessToken, userId });
  }

  /**
   * Publishes the will of a connection that ended without DISCONNECT (a lost network, a keep-alive
   * timeout, a protocol error, a session taken over) — not of one a draining gateway sent elsewhere:
   * that client reconnects.
   */
  publishWill(c: Connected): void {
    const will = c.will;
    c.will = undefined;
    if (!will || c.transport.closedFor?.startsWith('server_shutdown')) return;
    // No client is left to retry a will: retryTransient does, with the id fixed at CONNECT (idempotent).
    void retryTransient(() => this.publisher.publishPrepared(c.session.ctx.app, will), WILL_RETRY).catch((e: Error) =>
      this.logger.warn({ err: e.message, app: c.session.appId }, 'mqtt will not published'),
    );
  }

}
