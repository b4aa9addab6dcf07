import { Controller, Get, Headers, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiNotModifiedResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AccountRecord } from '@herald/db';
import type { HttpResponse as Response } from '@herald/http';
import { AccountGuard, CurrentAccount } from '../accounts/account.guard.js';
import { ErrorView } from '../http/error.view.js';
import { AppsService } from '../apps/apps.service.js';
import { HistoryPageQueryDto, HistoryView } from '../history/history.dto.js';
import { answerHistory } from '../history/history-read.js';
import { PresenceLimitQueryDto, PresenceView } from '../presence/presence.dto.js';
import { ChannelsQueryDto, ChannelsView } from './channels.dto.js';
import { DashboardChannels } from './channels.service.js';

/** An app's channels for its owner's dashboard session: occupancy, history and presence, no app key needed. */
@ApiTags('apps')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView })
@ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
@UseGuards(AccountGuard)
@Controller('v1/apps/:appId/channels')
export class ChannelsController {
  constructor(
    private readonly apps: AppsService,
    private readonly channels: DashboardChannels,
  ) {}

  @Get()
  @ApiOkResponse({ type: ChannelsView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request' })
  async list(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Query() q: ChannelsQueryDto): Promise<ChannelsView> {
    const app = await this.apps.get(account.id, appId);
    return this.channels.list(app, q.limit ?? 100);
  }

  @Get(':channel/history')
  @ApiOkResponse({ type: HistoryView, headers: { ETag: { description: 'Send back as If-None-Match', schema: { type: 'string' } } } })
  @ApiNotModifiedResponse({ description: 'Nothing changed since the ETag given in If-None-Match' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_channel, invalid_request' })
  async history(
    @CurrentAccount() account: AccountRecord,
    @Param('appId') appId: string,
    @Param('channel') channel: string,
    @Query() q: HistoryPageQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<HistoryView | undefined> {
    const app = await this.apps.get(account.id, appId);
    const limit = q.limit ?? 100;
    const result = await this.channels.readHistory(app, channel, { limit, since: q.since, before: q.before });
    return answerHistory(app.id, { limit, since: q.since, before: q.before }, result, ifNoneMatch, res);
  }

  @Get(':channel/presence')
  @ApiOkResponse({ type: PresenceView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_channel, invalid_request' })
  async presence(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Param('channel') channel: string, @Query() q: PresenceLimitQueryDto): Promise<PresenceView> {
    const app = await this.apps.get(account.id, appId);
    return this.channels.hereNow(app, channel, q.limit ?? 100);
  }
}
