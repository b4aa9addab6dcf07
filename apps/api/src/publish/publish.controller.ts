import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { HeraldError } from '@herald/protocol';
import type { AppContext } from '@herald/db';
import { PublishService, ScheduledPublishService } from '@herald/publishing';
import { GatewayMetrics } from '@herald/observability';
import type { HttpResponse as Response } from '@herald/http';
import { AppKeyGuard, CurrentApp } from '../data-plane/app-key.guard.js';
import { ErrorView } from '../http/error.view.js';
import { BatchItemResultView, PublishBatchDto, PublishBatchResultView, PublishDto, PublishResultView, ScheduledListQueryDto, ScheduledView } from './publish.dto.js';

@ApiTags('publish')
@ApiBearerAuth('appKey')
@UseGuards(AppKeyGuard)
@ApiUnauthorizedResponse({ type: ErrorView, description: 'unauthorized, invalid_key, key_revoked, key_expired' })
@Controller('v1')
export class PublishController {
  constructor(
    private readonly publisher: PublishService,
    private readonly scheduler: ScheduledPublishService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Post('publish')
  @HttpCode(200)
  @ApiOkResponse({ type: PublishResultView, description: 'Accepted: durably queued for history and delivery' })
  @ApiAcceptedResponse({ type: ScheduledView, description: 'With delay or at: scheduled (a delayed job), delivered once at its time' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request, invalid_channel, invalid_message, invalid_message_id, invalid_json, invalid_delay, invalid_push' })
  @ApiForbiddenResponse({ type: ErrorView, description: 'publish_forbidden (subscribe key), push_forbidden (push without the secret), token_required, app_suspended, origin_not_allowed' })
  @ApiPayloadTooLargeResponse({ type: ErrorView, description: 'payload_too_large, push_payload_too_large (the push JSON over one 4 KB Web Push record)' })
  async publish(@CurrentApp() ctx: AppContext, @Body() dto: PublishDto, @Res({ passthrough: true }) res: Response): Promise<PublishResultView | ScheduledView> {
    this.metrics.messageIn('rest');
    const input = { channel: dto.channel, message: dto.message, id: dto.id, accessToken: dto.accessToken, push: dto.push, pushMode: dto.pushMode };
    if (dto.delay !== undefined || dto.at !== undefined) {
      const { record, duplicate } = await this.scheduler.schedule(ctx, { ...input, delay: dto.delay, at: dto.at });
      res.status(202);
      return ScheduledView.of(record, duplicate);
    }
    const result = await this.publisher.publish(ctx, input);
    this.metrics.publishAccepted();
    return result;
  }

  @Post('publish/batch')
  @HttpCode(200)
  @ApiOkResponse({ type: PublishBatchResultView, description: 'One result per item; a bad item fails alone' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request (items missing or empty)' })
  @ApiPayloadTooLargeResponse({ type: ErrorView, description: 'batch_too_large, payload_too_large (body over 1 MiB)' })
  @ApiTooManyRequestsResponse({ type: ErrorView, description: 'rate_limited, quota_exceeded: nothing of the batch was accepted' })
  async batch(@CurrentApp() ctx: AppContext, @Body() dto: PublishBatchDto): Promise<PublishBatchResultView> {
    if (dto.items.length === 0) throw new HeraldError('invalid_request', 'items must not be empty');
    const items = dto.items.map((i) => (typeof i === 'object' && i !== null ? { channel: i.channel, message: i.message, id: i.id, accessToken: i.accessToken, push: i.push, pushMode: i.pushMode } : { channel: undefined, message: undefined }));
    for (let i = 0; i < items.length; i++) this.metrics.messageIn('rest');
    const outcomes = await this.publisher.publishBatch(ctx, items);
    const results = outcomes.map((o, index): BatchItemResultView => (o.ok ? { index, ok: true, ...o.result } : { index, ok: false, error: o.error.toBody() }));
    const accepted = results.filter((r) => r.ok).length;
    for (let i = 0; i < accepted; i++) this.metrics.publishAccepted();
    return { results, accepted, failed: results.length - accepted };
  }

  @Get('scheduled')
  @ApiOkResponse({ type: [ScheduledView], description: 'Scheduled messages of the app, soonest first' })
  @ApiForbiddenResponse({ type: ErrorView, description: 'forbidden: the secret key is required' })
  async listScheduled(@CurrentApp() ctx: AppContext, @Query() q: ScheduledListQueryDto): Promise<ScheduledView[]> {
    requireSecret(ctx);
    return (await this.scheduler.list(ctx, { status: q.status ?? 'scheduled', limit: q.limit ?? 100 })).map((r) => ScheduledView.of(r));
  }

  @Get('scheduled/:id')
  @ApiOkResponse({ type: ScheduledView })
  @ApiForbiddenResponse({ type: ErrorView, description: 'forbidden: the secret key is required' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'scheduled_not_found' })
  async getScheduled(@CurrentApp() ctx: AppContext, @Param('id') id: string): Promise<ScheduledView> {
    requireSecret(ctx);
    return ScheduledView.of(await this.scheduler.get(ctx, id));
  }

  @Delete('scheduled/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Cancelled: it will not be published' })
  @ApiForbiddenResponse({ type: ErrorView, description: 'forbidden: the secret key is required' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'scheduled_not_found' })
  @ApiConflictResponse({ type: ErrorView, description: 'not_cancellable: already published, being published, cancelled or failed' })
  async cancelScheduled(@CurrentApp() ctx: AppContext, @Param('id') id: string): Promise<void> {
    requireSecret(ctx);
    await this.scheduler.cancel(ctx, id);
  }
}

/** Listing and cancelling are server operations: a key embedded in web pages must not cancel the app's messages. */
function requireSecret(ctx: AppContext): void {
  if (ctx.keyKind !== 'secret') throw new HeraldError('forbidden', 'Scheduled messages are managed with the secret key');
}
