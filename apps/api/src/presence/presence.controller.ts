import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AppContext } from '@herald/db';
import { AppKeyGuard, CurrentApp } from '../data-plane/app-key.guard.js';
import { ErrorView } from '../http/error.view.js';
import { PresenceQueryDto, PresenceView } from './presence.dto.js';
import { PresenceService } from '@herald/channels';

@ApiTags('presence')
@ApiBearerAuth('appKey')
@UseGuards(AppKeyGuard)
@Controller('v1/channels')
export class PresenceController {
  constructor(private readonly presence: PresenceService) {}

  @Get(':channel/presence')
  @ApiOkResponse({ type: PresenceView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_channel, invalid_request' })
  @ApiUnauthorizedResponse({ type: ErrorView })
  @ApiForbiddenResponse({ type: ErrorView, description: 'token_required: a private channel needs the secret' })
  read(@CurrentApp() ctx: AppContext, @Param('channel') channel: string, @Query() q: PresenceQueryDto): Promise<PresenceView> {
    return this.presence.hereNow(ctx, { channel, limit: q.limit ?? 100, accessToken: q.accessToken });
  }
}
