import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AppContext } from '@herald/db';
import { PublishService } from '@herald/publishing';
import { GatewayMetrics } from '@herald/observability';
import { AppKeyGuard, CurrentApp } from '../data-plane/app-key.guard.js';
import { HistoryService, PresenceService } from '@herald/channels';
import { GoEasyHereNowQueryDto, GoEasyHereNowView, GoEasyHistoryQueryDto, GoEasyHistoryView, GoEasyOkView, GoEasyPublishDto } from './goeasy.dto.js';

const OK: GoEasyOkView = { code: 200, content: 'OK' };

/**
 * GoEasy-compatible REST, so existing GoEasy server integrations work by changing the host. Errors keep
 * the real HTTP status (GoEasy's clients read `code` from the body, which matches it).
 */
@ApiTags('goeasy')
@UseGuards(AppKeyGuard)
@Controller()
export class GoEasyController {
  constructor(
    private readonly publisher: PublishService,
    private readonly history: HistoryService,
    private readonly presence: PresenceService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Post('v2/pubsub/publish')
  @HttpCode(200)
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiOkResponse({ type: GoEasyOkView })
  async publish(@CurrentApp() ctx: AppContext, @Body() dto: GoEasyPublishDto): Promise<GoEasyOkView> {
    this.metrics.messageIn('rest');
    await this.publisher.publish(ctx, { channel: dto.channel, message: dto.content });
    this.metrics.publishAccepted();
    return OK;
  }

  @Post('publish')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOkResponse({ type: GoEasyOkView, description: 'Legacy GoEasy publish' })
  async legacyPublish(@CurrentApp() ctx: AppContext, @Body() dto: GoEasyPublishDto): Promise<GoEasyOkView> {
    return this.publish(ctx, dto);
  }

  @Get('v2/pubsub/history')
  @ApiOkResponse({ type: GoEasyHistoryView })
  async readHistory(@CurrentApp() ctx: AppContext, @Query() q: GoEasyHistoryQueryDto): Promise<GoEasyHistoryView> {
    const messages = await this.history.byTime(ctx, { channel: q.channel, limit: q.limit ?? 10, start: q.start, end: q.end });
    return { code: 200, content: { messages: messages.map((m) => ({ time: m.time, content: m.content })) } };
  }

  @Get('v2/pubsub/herenow')
  @ApiOkResponse({ type: GoEasyHereNowView })
  async hereNow(@CurrentApp() ctx: AppContext, @Query() q: GoEasyHereNowQueryDto): Promise<GoEasyHereNowView> {
    return { code: 200, content: await this.presence.hereNow(ctx, { channel: q.channel, limit: q.limit ?? 100 }) };
  }
}
