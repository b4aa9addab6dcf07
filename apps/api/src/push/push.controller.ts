import { Body, Controller, Delete, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AppContext } from '@herald/db';
import { PushKeys, PushSubscriptions } from '@herald/push';
import { AppKeyGuard, CurrentApp } from '../data-plane/app-key.guard.js';
import { ErrorView } from '../http/error.view.js';
import { AppKeyQueryDto, PushSubscriptionView, SubscribePushDto, UnsubscribePushDto, VapidKeyView } from './push.dto.js';

/** Web Push for pages (docs/push.md): any app key, as for subscribing to channels. */
@ApiTags('push')
@ApiBearerAuth('appKey')
@UseGuards(AppKeyGuard)
@ApiUnauthorizedResponse({ type: ErrorView, description: 'unauthorized, invalid_key, key_revoked, key_expired' })
@Controller('v1/push')
export class PushController {
  constructor(
    private readonly keys: PushKeys,
    private readonly subscriptions: PushSubscriptions,
  ) {}

  @Get('vapid-key')
  @ApiOkResponse({ type: VapidKeyView })
  async vapidKey(@CurrentApp() ctx: AppContext, @Query() _q: AppKeyQueryDto): Promise<VapidKeyView> {
    return { publicKey: await this.keys.publicKey(ctx.app.id) };
  }

  @Post('subscriptions')
  @ApiCreatedResponse({ type: PushSubscriptionView, description: 'Stored; the same endpoint again replaces its channels, keys and user' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_push_subscription (endpoint, p256dh, auth), push_endpoint_private (http or a non-public address), invalid_channel, invalid_request (userId)' })
  @ApiForbiddenResponse({ type: ErrorView, description: 'token_required, forbidden (a private channel without a token allowing r), origin_not_allowed' })
  @ApiConflictResponse({ type: ErrorView, description: "too_many_push_subscriptions (the plan's maxPushSubscriptions)" })
  async subscribe(@CurrentApp() ctx: AppContext, @Body() dto: SubscribePushDto): Promise<PushSubscriptionView> {
    return PushSubscriptionView.of(await this.subscriptions.subscribe(ctx, { subscription: dto.subscription, channels: dto.channels, userId: dto.userId, token: dto.token }));
  }

  @Delete('subscriptions')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed: no more pushes to this endpoint' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'push_subscription_not_found' })
  async unsubscribe(@CurrentApp() ctx: AppContext, @Body() dto: UnsubscribePushDto): Promise<void> {
    await this.subscriptions.unsubscribe(ctx, dto.endpoint);
  }
}
