import { Module } from '@nestjs/common';
import { ConfigModule } from '@herald/config';
import { DbModule } from '@herald/db';
import { BusModule } from '@herald/bus';
import { QueueModule } from '@herald/queue';
import { PublishingModule } from '@herald/publishing';
import { HealthModule, MetricsModule } from '@herald/observability';
import { apiLoggerProvider } from './api-logger.js';
import { API_CONTROLLERS } from './api.controllers.js';
import { AccountsService } from './accounts/accounts.service.js';
import { AccountGuard } from './accounts/account.guard.js';
import { AppsService } from './apps/apps.service.js';
import { KeyMaterial } from './keys/key-material.js';
import { KeysService } from './keys/keys.service.js';
import { AppKeyGuard } from './data-plane/app-key.guard.js';
import { PublishIngress } from './publish/publish-ingress.js';
import { ChannelsModule } from '@herald/channels';
import { WebhooksModule } from '@herald/webhooks';
import { DashboardChannels } from './channels/channels.service.js';
import { AdminGuard } from './admin/admin.guard.js';
import { AdminService } from './admin/admin.service.js';
import { PusherEventsRoute } from './pusher/pusher-events.route.js';
import { PusherRequestAuth } from './pusher/pusher-request-auth.js';

@Module({
  imports: [
    ConfigModule,
    DbModule,
    BusModule,
    QueueModule,
    PublishingModule,
    ChannelsModule,
    WebhooksModule,
    HealthModule.forRoot({ app: 'api' }),
    MetricsModule.forRoot({ app: 'api', queueDepth: true }),
  ],
  controllers: API_CONTROLLERS,
  providers: [
    apiLoggerProvider,
    AccountsService,
    AccountGuard,
    AppsService,
    KeyMaterial,
    KeysService,
    AppKeyGuard,
    PublishIngress,
    DashboardChannels,
    AdminGuard,
    AdminService,
    PusherRequestAuth,
    PusherEventsRoute,
  ],
  exports: [apiLoggerProvider, KeyMaterial],
})
export class ApiModule {}
