import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiBearerAuth, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AccountRecord } from '@herald/db';
import { PushOwner } from '@herald/push';
import { AccountGuard, CurrentAccount } from '../accounts/account.guard.js';
import { ErrorView } from '../http/error.view.js';
import { OwnerPushSubscriptionView, PushAttemptPageView, PushAttemptView, PushDeliveriesQueryDto, PushOverviewView, PushSubscriptionPageView, PushSubscriptionsQueryDto, TestPushDto, TestPushView } from './push.dto.js';

/** Web Push of an app for its owner (dashboard session). */
@ApiTags('push')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView })
@ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found, push_subscription_not_found' })
@UseGuards(AccountGuard)
@Controller('v1/apps/:appId/push')
export class OwnerPushController {
  constructor(private readonly push: PushOwner) {}

  @Get()
  @ApiOkResponse({ type: PushOverviewView, description: 'The VAPID public key, delivery counters and the number of subscriptions' })
  overview(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string): Promise<PushOverviewView> {
    return this.push.overview(a.id, appId);
  }

  @Get('subscriptions')
  @ApiOkResponse({ type: PushSubscriptionPageView })
  async subscriptions(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Query() q: PushSubscriptionsQueryDto): Promise<PushSubscriptionPageView> {
    const page = await this.push.subscriptions(a.id, appId, { channel: q.channel, userId: q.userId, cursor: q.cursor, limit: q.limit ?? 100 });
    return { subscriptions: page.subscriptions.map((s) => OwnerPushSubscriptionView.ofRecord(s)), nextCursor: page.nextCursor };
  }

  @Delete('subscriptions/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed' })
  async deleteSubscription(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('id') id: string): Promise<void> {
    await this.push.deleteSubscription(a.id, appId, id);
  }

  @Get('deliveries')
  @ApiOkResponse({ type: PushAttemptPageView, description: 'The delivery log: every request to a push service, newest first' })
  async deliveries(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Query() q: PushDeliveriesQueryDto): Promise<PushAttemptPageView> {
    const page = await this.push.deliveries(a.id, appId, { cursor: q.cursor, limit: q.limit ?? 100 });
    return { attempts: page.attempts.map((x) => PushAttemptView.of(x)), nextCursor: page.nextCursor };
  }

  @Post('test')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: TestPushView, description: 'Queued: a notification to one subscription or to every subscription of a channel (nothing is published)' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request (neither or both of subscriptionId and channel), invalid_push (title, body), invalid_channel' })
  test(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Body() dto: TestPushDto): Promise<TestPushView> {
    return this.push.test(a.id, appId, dto);
  }
}
