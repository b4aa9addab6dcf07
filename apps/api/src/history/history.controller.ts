import { Controller, Get, Headers, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotModifiedResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { HttpResponse as Response } from '@herald/http';
import type { AppContext } from '@herald/db';
import { AppKeyGuard, CurrentApp } from '../data-plane/app-key.guard.js';
import { ErrorView } from '../http/error.view.js';
import { HistoryQueryDto, HistoryView } from './history.dto.js';
import { answerHistory } from './history-read.js';
import { HistoryService } from '@herald/channels';

@ApiTags('history')
@ApiBearerAuth('appKey')
@UseGuards(AppKeyGuard)
@Controller('v1/channels')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get(':channel/history')
  @ApiOkResponse({ type: HistoryView, headers: { ETag: { description: 'Send back as If-None-Match', schema: { type: 'string' } } } })
  @ApiNotModifiedResponse({ description: 'Nothing changed since the ETag given in If-None-Match' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_channel, invalid_request' })
  @ApiUnauthorizedResponse({ type: ErrorView })
  async read(
    @CurrentApp() ctx: AppContext,
    @Param('channel') channel: string,
    @Query() q: HistoryQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<HistoryView | undefined> {
    const limit = q.limit ?? 100;
    const result = await this.history.read(ctx, { channel, limit, since: q.since, before: q.before, accessToken: q.accessToken });
    return answerHistory(ctx.app.id, { limit, since: q.since, before: q.before }, result, ifNoneMatch, res);
  }
}
