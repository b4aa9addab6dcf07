import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import type { RedisClient } from '@herald/bus';
import { REDIS, RedisKeys, createRedis, mqttClientDigest } from '@herald/bus';
import { CLOSE_CODES, HeraldError } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import type { Connected } from './mqtt-connected.js';

/**
 * MQTT session takeover (MQTT 3.1.1 §3.1.4, 5.0 §3.1.4): a CONNECT with the client id of a live
 * connection of the same app — on any gateway — disconnects the older one (5.0: DISCONNECT 0x8E
 * session taken over; 3.1.1: the stream closes). The newer connection has already claimed the session
 * in Redis (MqttSessions.claim), so whatever the older one saves on its way out is ignored; the notice
 * goes to every gateway on one Redis pub/sub channel (`appId|client id digest|new connection id`), as
 * Pusher's terminate_connections does. A gateway listens from its first MQTT connection on, and a
 * connection is answered only once it listens, so every live connection can be reached.
 */
@Injectable()
export class MqttTakeover implements OnApplicationShutdown {
  /** Live connections by `appId|client id digest`. */
  private readonly live = new Map<string, Set<Connected>>();
  private subscriber?: RedisClient;
  private listening?: Promise<unknown>;
  private readonly logger;

  constructor(
    private readonly core: SessionCore,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  /** Before CONNACK: takeover notices reach this gateway from now on (refused with `unavailable` if they cannot). */
  listen(): Promise<unknown> {
    if (this.listening) return this.listening;
    const subscriber = createRedis(this.config, 'subscriber', 'gateway-mqtt-takeover');
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, notice: string) => this.onNotice(notice));
    this.listening = subscriber.subscribe(this.keys.mqttTakeovers).catch((e: unknown) => {
      this.listening = undefined;
      subscriber.disconnect();
      throw new HeraldError('unavailable', `MQTT unavailable: ${(e as Error).message}`);
    });
    return this.listening;
  }

  /** The connection holds its client id now: every other live connection with it, on any gateway, is told to go. */
  async takeOver(c: Connected): Promise<void> {
    const key = `${c.session.appId}|${mqttClientDigest(c.clientId)}`;
    let set = this.live.get(key);
    if (!set) this.live.set(key, (set = new Set()));
    set.add(c);
    void c.transport.whenClosed().then(() => {
      set.delete(c);
      if (set.size === 0 && this.live.get(key) === set) this.live.delete(key);
    });
    await this.redis.publish(this.keys.mqttTakeovers, `${key}|${c.session.id}`).catch((e: Error) => {
      // The session claim in Redis still holds: an older connection left running only saves nothing more.
      this.logger.warn({ err: e.message, app: c.session.appId }, 'mqtt takeover notice not sent');
    });
  }

  private onNotice(notice: string): void {
    const cut = notice.lastIndexOf('|');
    const owner = notice.slice(cut + 1);
    for (const c of this.live.get(notice.slice(0, cut)) ?? []) {
      if (c.session.id === owner) continue;
      this.core.disconnect(c.session, CLOSE_CODES.invalid_request, 'session_taken_over: another connection with this client id took the session');
    }
  }
}
