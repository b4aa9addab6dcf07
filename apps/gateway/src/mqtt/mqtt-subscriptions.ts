import { Inject, Injectable } from '@nestjs/common';
import { generate, type ISubscribePacket, type IUnsubscribePacket } from 'mqtt-packet';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { MqttRetained, MqttSessions, type MqttSessionState } from '@herald/bus';
import { AccessTokens } from '@herald/db';
import { CLOSE_CODES, HeraldError } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import { MQTT311, MQTT5, mqtt5Code } from './mqtt-codes.js';
import type { Connected } from './mqtt-connected.js';
import { sessionStateOf } from './mqtt-session-state.js';
import { MqttWildcards } from './mqtt-wildcards.js';
import { isWildcardFilter, TopicFilter, topicFilterProblem } from './topic-filter.js';

/** Retained channels of an app a wildcard SUBSCRIBE reads at most (docs/mqtt.md). */
export const RETAINED_SCAN_LIMIT = 1000;

/**
 * SUBSCRIBE and UNSUBSCRIBE of an MQTT connection: topics by name through the session core (positions,
 * history, presence for a connection with a user id), wildcard filters through MqttWildcards (live only);
 * retained messages after the SUBACK; the persistent session saved on every change and resumed at CONNECT.
 */
@Injectable()
export class MqttSubscriptions {
  private readonly logger;

  constructor(
    private readonly core: SessionCore,
    private readonly stored: MqttSessions,
    private readonly retained: MqttRetained,
    private readonly wildcards: MqttWildcards,
    private readonly access: AccessTokens,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  async subscribe(c: Connected, packet: ISubscribePacket): Promise<void> {
    const v5 = c.transport.version === 5;
    const granted: number[] = [];
    /** Channels (by name) and filters whose retained messages go out after the SUBACK. */
    const retainedFor: string[] = [];
    const retainedFilters: string[] = [];
    for (const { topic, qos, rh } of packet.subscriptions) {
      const level: 0 | 1 = qos === 0 ? 0 : 1;
      if (topic.startsWith('$share/')) {
        granted.push(v5 ? MQTT5.sharedSubscriptionsNotSupported : MQTT311.subscribeFailure);
        continue;
      }
      if (isWildcardFilter(topic)) {
        const existed = c.transport.filters.has(topic);
        const code = await this.subscribeFilter(c, topic, level);
        granted.push(code);
        // Retain Handling (5.0): 0 sends retained messages on every SUBSCRIBE, 1 only on a new one, 2 never.
        if (code === level && rh !== 2 && !(rh === 1 && existed)) retainedFilters.push(topic);
        continue;
      }
      // MQTT: subscribing again replaces the subscription (its QoS), it is no error.
      if (c.session.subscriptions.has(topic)) {
        c.transport.granted.set(topic, level);
        granted.push(level);
        if (!rh) retainedFor.push(topic);
        continue;
      }
      c.transport.granted.set(topic, level);
      const [failed] = await this.core.subscribe(c.session, [{ channel: topic, accessToken: c.accessToken, presence: c.session.user !== undefined }]);
      if (failed) {
        c.transport.granted.delete(topic);
        // A topic no channel can have is an invalid topic filter in SUBACK's terms.
        const code = failed.reason === 'invalid_channel' ? MQTT5.topicFilterInvalid : mqtt5Code(failed.reason, 'suback', failed.code);
        granted.push(v5 ? code : MQTT311.subscribeFailure);
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
    for (const filter of retainedFilters) await this.sendRetainedMatching(c, filter);
  }

  /** A wildcard filter: its SUBACK code (the granted QoS, or a refusal). */
  private async subscribeFilter(c: Connected, filter: string, level: 0 | 1): Promise<number> {
    const v5 = c.transport.version === 5;
    const problem = topicFilterProblem(filter);
    if (problem) return v5 ? MQTT5.topicFilterInvalid : MQTT311.subscribeFailure;
    try {
      const limit = c.session.ctx.app.plan.maxChannelsPerConnection;
      if (!c.transport.filters.has(filter) && c.session.channelCount() >= limit) {
        throw new HeraldError('too_many_channels', `At most ${limit} channels per connection on this plan`);
      }
      await this.wildcards.add(c, filter, level);
      return level;
    } catch (e) {
      const err = e instanceof HeraldError ? e : new HeraldError('internal_error');
      if (!(e instanceof HeraldError)) this.logger.error({ err: (e as Error)?.message }, 'mqtt wildcard subscribe failed');
      return v5 ? mqtt5Code(err.reason, 'suback', err.code) : MQTT311.subscribeFailure;
    }
  }

  /** The retained messages of the channels a new filter matches (at most RETAINED_SCAN_LIMIT retained channels read). */
  private async sendRetainedMatching(c: Connected, filter: string): Promise<void> {
    const match = new TopicFilter(filter);
    const readable = (channel: string) => c.session.ctx.keyKind === 'secret' || !this.access.isPrivate(c.session.ctx, channel);
    const found = await this.retained.matching(c.session.appId, (channel) => match.matches(channel) && readable(channel), RETAINED_SCAN_LIMIT);
    for (const { channel, payload } of found) c.transport.sendRetained(channel, payload, c.transport.filters.get(filter)?.qos);
  }

  async unsubscribe(c: Connected, packet: IUnsubscribePacket): Promise<void> {
    const held = new Set(await this.core.unsubscribe(c.session, packet.unsubscriptions));
    for (const topic of packet.unsubscriptions) {
      if (this.wildcards.remove(c, topic)) held.add(topic);
      c.transport.granted.delete(topic);
      c.transport.positions.delete(topic);
    }
    await this.persist(c);
    // MQTT 5: 0x00 success, 0x11 no subscription existed; 3.1.1's UNSUBACK carries no codes.
    const granted = c.transport.version === 5 ? packet.unsubscriptions.map((t) => (held.has(t) ? MQTT5.success : 0x11)) : [];
    c.transport.write(generate({ cmd: 'unsuback', messageId: packet.messageId, granted }, { protocolVersion: c.transport.version }));
  }

  /**
   * A persistent session back on any gateway: every stored subscription resumes from the client's
   * position, replaying what it missed in order; wildcard filters resume live (`resumeFilters`, started
   * right after the CONNACK, with `prepareResume` awaited before it). A channel whose history
   * no longer reaches back that far (or whose epoch changed) cannot: the session is lost, dropped, and
   * the client told so by a close, so that it reconnects with `sessionPresent: false` — never a silent gap.
   */
  async resume(c: Connected, state: MqttSessionState, filters: Promise<unknown> = this.resumeFilters(c, state)): Promise<void> {
    for (const [channel, sub] of Object.entries(state.subscriptions)) {
      c.transport.granted.set(channel, sub.qos === 0 ? 0 : 1);
      c.transport.positions.set(channel, { offset: sub.offset, epoch: sub.epoch });
      const since = { offset: sub.offset, epoch: sub.epoch };
      const [failed] = await this.core.subscribe(c.session, [{ channel, since, accessToken: c.accessToken, presence: c.session.user !== undefined }]);
      if (failed) c.transport.lost.add(channel);
    }
    await filters;
    if (c.transport.lost.size === 0) return;
    await this.stored.drop(c.session.appId, c.clientId);
    c.persistFor = undefined;
    clearInterval(c.checkpoint);
    const shown = [...c.transport.lost].slice(0, 3).join(', ');
    this.core.disconnect(c.session, CLOSE_CODES.invalid_request, `session_lost: ${shown} cannot resume (beyond the history window or reset); reconnect for a new session`);
  }

  /**
   * A resumed session's wildcard filters, registered synchronously by this call (right after the
   * CONNACK; their pattern was prepared before it): they match from here on.
   */
  resumeFilters(c: Connected, state: MqttSessionState): Promise<unknown> {
    return Promise.all(
      Object.entries(state.filters ?? {})
        .filter(([filter]) => topicFilterProblem(filter) === undefined) // never stored by a gateway; nothing to resume
        .map(([filter, qos]) => this.wildcards.add(c, filter, qos === 0 ? 0 : 1).catch(() => c.transport.lost.add(filter))),
    );
  }

  /** Before a resumed session's CONNACK: the subscription its filters need is live (MqttWildcards.prepare). */
  async prepareResume(appId: string, state: MqttSessionState): Promise<void> {
    if (Object.keys(state.filters ?? {}).length > 0) await this.wildcards.prepare(appId);
  }

  /** Saves a persistent session's subscriptions and positions (on changes, periodically, and at the end). */
  async persist(c: Connected): Promise<void> {
    if (c.persistFor === undefined) return;
    c.transport.dirty = false;
    await this.stored.save(c.session.appId, c.clientId, c.session.id, sessionStateOf(c.transport), c.persistFor).catch((e: Error) => {
      c.transport.dirty = true;
      this.logger.warn({ err: e.message }, 'mqtt session save failed');
    });
  }
}
