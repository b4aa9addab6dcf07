import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { HeraldError } from '@herald/protocol';
import { ScheduledPublishService } from '@herald/publishing';
import type { AccountRecord } from '@herald/db';
import { AccountGuard, CurrentAccount } from '../accounts/account.guard.js';
import { ErrorView } from '../http/error.view.js';
import { AppsService } from '../apps/apps.service.js';
import { ownerContext } from '../apps/owner-context.js';
import { PublishDto, ScheduledListQueryDto, ScheduledView } from '../publish/publish.dto.js';

/**
 * An app's scheduled messages for its owner (the dashboard): the same use case as `/v1/scheduled` with the
 * secret, reached with the account session so the browser never holds the secret.
 */
@ApiTags('apps')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView })
@ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found (also for another account’s app), scheduled_not_found' })
@UseGuards(AccountGuard)
@Controller('v1/apps/:appId/scheduled')
export class OwnerScheduledController {
  constructor(
    private readonly apps: AppsService,
    private readonly scheduler: ScheduledPublishService,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: ScheduledView, description: 'Scheduled (a delayed job), published once at its time' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_channel, invalid_message, invalid_delay (delay or at is required)' })
  async schedule(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Body() dto: PublishDto): Promise<ScheduledView> {
    if (dto.delay === undefined && dto.at === undefined) throw new HeraldError('invalid_delay', 'delay or at is required');
    const ctx = ownerContext(await this.apps.get(account.id, appId));
    const { record, duplicate } = await this.scheduler.schedule(ctx, { channel: dto.channel, message: dto.message, id: dto.id, delay: dto.delay, at: dto.at });
    return ScheduledView.of(record, duplicate);
  }

  @Get()
  @ApiOkResponse({ type: [ScheduledView], description: 'Soonest first' })
  async list(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Query() q: ScheduledListQueryDto): Promise<ScheduledView[]> {
    const ctx = ownerContext(await this.apps.get(account.id, appId));
    return (await this.scheduler.list(ctx, { status: q.status ?? 'scheduled', limit: q.limit ?? 100 })).map((r) => ScheduledView.of(r));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Cancelled: it will not be published' })
  @ApiConflictResponse({ type: ErrorView, description: 'not_cancellable: already published, being published, cancelled or failed' })
  async cancel(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Param('id') id: string): Promise<void> {
    await this.scheduler.cancel(ownerContext(await this.apps.get(account.id, appId)), id);
  }
}
