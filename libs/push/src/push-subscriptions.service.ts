import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError, isPrivateChannel } from '@herald/protocol';
import { randomBase62 } from '@herald/auth';
import { assertUserId } from '@herald/bus';
import { AccessTokens, PushRepository, type AppContext, type PushSubscriptionRecord } from '@herald/db';
import { checkChannels, checkSubscription } from './subscription-input.js';

export interface SubscribeInput {
  subscription: unknown;
  channels: unknown;
  userId?: unknown;
  /** An access token (r) for the private channels among `channels`, unless the caller holds the secret. */
  token?: unknown;
}

/**
 * Browsers' Web Push subscriptions, on the data plane: any app key may subscribe (reading is what a
 * subscribe key is for), private channels need a token as for subscribing over a connection. The
 * endpoint identifies the subscription: the same endpoint again replaces its channels, keys and user.
 */
@Injectable()
export class PushSubscriptions {
  constructor(
    private readonly repo: PushRepository,
    private readonly access: AccessTokens,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  async subscribe(ctx: AppContext, input: SubscribeInput): Promise<PushSubscriptionRecord> {
    const sub = await checkSubscription(input.subscription, this.config.webhooks.allowPrivate);
    const channels = checkChannels(input.channels, ctx.app.plan.maxChannelsPerConnection);
    const userId = input.userId === undefined || input.userId === null ? null : assertUserId(input.userId);
    if (input.token !== undefined && input.token !== null && typeof input.token !== 'string') throw new HeraldError('invalid_token', 'token must be a string');
    const token = (input.token as string | null | undefined) ?? undefined;
    for (const channel of channels) {
      if (isPrivateChannel(channel, ctx.app.privatePrefixes)) await this.access.authorize(ctx, { channel, need: 'r', token, userId: userId ?? undefined });
    }
    const saved = await this.repo.upsertCapped(ctx.app.id, { id: `psub_${randomBase62(20)}`, ...sub, channels, userId });
    if ('cap' in saved) throw new HeraldError('too_many_push_subscriptions', `At most ${saved.cap} push subscriptions per app on this plan`);
    return saved;
  }

  /** Anyone holding the endpoint (a capability URL) and an app key may end the subscription. */
  async unsubscribe(ctx: AppContext, endpoint: unknown): Promise<void> {
    if (typeof endpoint !== 'string' || endpoint.length === 0 || endpoint.length > 2000) throw new HeraldError('invalid_push_subscription', 'endpoint must be the subscription endpoint URL');
    if (await this.repo.deleteByEndpoint(ctx.app.id, endpoint)) return;
    // Stored in URL form (new URL(...).toString()): try the same normalisation before saying it is unknown.
    let normal: string | undefined;
    try {
      normal = new URL(endpoint).toString();
    } catch {
      normal = undefined;
    }
    if (normal !== undefined && normal !== endpoint && (await this.repo.deleteByEndpoint(ctx.app.id, normal))) return;
    throw new HeraldError('push_subscription_not_found');
  }
}
