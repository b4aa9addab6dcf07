import { Module } from '@nestjs/common';
import { WebhookDirectory } from './webhook-directory.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhook use cases: configuration and replay (API), dispatch of events into deliveries (worker). */
@Module({ providers: [WebhookDirectory, WebhookDispatcher, WebhooksService], exports: [WebhookDirectory, WebhookDispatcher, WebhooksService] })
export class WebhooksModule {}
