import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiPayloadTooLargeResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AppContext } from '@herald/db';
import { PublishService } from '@herald/publishing';
import { GatewayMetrics } from '@herald/observability';
import { AppKeyGuard, CurrentApp } from '../data-plane/app-key.guard.js';
import { ErrorView } from '../http/error.view.js';
import { PublishDto, PublishResultView } from './publish.dto.js';

@ApiTags('publish')
@ApiBearerAuth('appKey')
@UseGuards(AppKeyGuard)
@Controller('v1/publish')
export class PublishController {
  constructor(
    private readonly publisher: PublishService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: PublishResultView, description: 'Accepted: durably queued for history and delivery' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request, invalid_channel, invalid_message, invalid_message_id, invalid_json' })
  @ApiUnauthorizedResponse({ type: ErrorView, description: 'unauthorized, invalid_key, key_revoked, key_expired' })
  @ApiForbiddenResponse({ type: ErrorView, description: 'publish_forbidden (subscribe key), token_required, app_suspended, origin_not_allowed' })
  @ApiPayloadTooLargeResponse({ type: ErrorView, description: 'payload_too_large' })
  async publish(@CurrentApp() ctx: AppContext, @Body() dto: PublishDto): Promise<PublishResultView> {
    this.metrics.messageIn('rest');
    const result = await this.publisher.publish(ctx, { channel: dto.channel, message: dto.message, id: dto.id, accessToken: dto.accessToken });
    this.metrics.publishAccepted();
    return result;
  }
}
