import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiConflictResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AccountRecord } from '@herald/db';
import { WebhooksService } from '@herald/webhooks';
import { AccountGuard, CurrentAccount } from '../accounts/account.guard.js';
import { ErrorView } from '../http/error.view.js';
import { CreateWebhookDto, CreatedWebhookView, DeliveriesQueryDto, DeliveryView, ReplayRangeDto, ReplayView, UpdateWebhookDto, WebhookView } from './webhooks.dto.js';

@ApiTags('webhooks')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView })
@ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found, webhook_not_found, delivery_not_found' })
@UseGuards(AccountGuard)
@Controller('v1/apps/:appId/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedWebhookView, description: 'The webhook and its signing secret (shown once)' })
  @ApiConflictResponse({ type: ErrorView, description: "too_many_webhooks (the plan's maxWebhooks per app)" })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_webhook_url (not http(s), or does not resolve), webhook_url_private (resolves to a non-public address), invalid_request (events)' })
  async create(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    const { webhook, secret } = await this.webhooks.create(a.id, appId, dto);
    return Object.assign(WebhookView.of(webhook), { secret });
  }

  @Get()
  @ApiOkResponse({ type: [WebhookView] })
  async list(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string): Promise<WebhookView[]> {
    return (await this.webhooks.list(a.id, appId)).map((w) => WebhookView.of(w));
  }

  @Get(':webhookId')
  @ApiOkResponse({ type: WebhookView })
  async get(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('webhookId') id: string): Promise<WebhookView> {
    return WebhookView.of(await this.webhooks.get(a.id, appId, id));
  }

  @Patch(':webhookId')
  @ApiOkResponse({ type: WebhookView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_webhook_url, webhook_url_private, invalid_request' })
  async update(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('webhookId') id: string, @Body() dto: UpdateWebhookDto): Promise<WebhookView> {
    return WebhookView.of(await this.webhooks.update(a.id, appId, id, dto));
  }

  @Delete(':webhookId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its delivery log' })
  async delete(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('webhookId') id: string): Promise<void> {
    await this.webhooks.delete(a.id, appId, id);
  }

  @Get(':webhookId/deliveries')
  @ApiOkResponse({ type: [DeliveryView], description: 'Newest first, each with every attempt' })
  async deliveries(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('webhookId') id: string, @Query() q: DeliveriesQueryDto): Promise<DeliveryView[]> {
    const rows = await this.webhooks.deliveries(a.id, appId, id, { status: q.status, from: q.from, to: q.to, limit: q.limit ?? 100 });
    return rows.map((d) => DeliveryView.of(d));
  }

  @Get(':webhookId/deliveries/:deliveryId')
  @ApiOkResponse({ type: DeliveryView })
  async delivery(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('webhookId') id: string, @Param('deliveryId') deliveryId: string): Promise<DeliveryView> {
    return DeliveryView.of(await this.webhooks.delivery(a.id, appId, id, deliveryId));
  }

  @Post(':webhookId/deliveries/:deliveryId/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayView, description: 'Queued: sent again with the same delivery and event ids, freshly signed' })
  async replayOne(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('webhookId') id: string, @Param('deliveryId') deliveryId: string): Promise<ReplayView> {
    return { replayed: await this.webhooks.replayOne(a.id, appId, id, deliveryId) };
  }

  @Post(':webhookId/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayView, description: 'Every failed delivery created in [from, to], queued again' })
  async replayFailed(@CurrentAccount() a: AccountRecord, @Param('appId') appId: string, @Param('webhookId') id: string, @Body() dto: ReplayRangeDto): Promise<ReplayView> {
    return { replayed: await this.webhooks.replayFailed(a.id, appId, id, { from: dto.from, to: dto.to }) };
  }
}
