import { Module } from '@nestjs/common';
import { WebhookDirectory } from './webhook-directory.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhooksService } from './webhooks.service.js';
import { PusherWebhookHold, PusherWebhookSigner } from './pusher-format.js';

/** Webhook use cases: configuration and replay (API), dispatch of events into deliveries (worker). */
@Module({
  providers: [WebhookDirectory, WebhookDispatcher, WebhooksService, PusherWebhookSigner, PusherWebhookHold],
  exports: [WebhookDirectory, WebhookDispatcher, WebhooksService, PusherWebhookSigner, PusherWebhookHold],
})
export class WebhooksModule {}
