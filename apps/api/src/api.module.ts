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
import { PushModule } from '@herald/push';
import { DashboardChannels } from './channels/channels.service.js';
import { AdminGuard } from './admin/admin.guard.js';
import { AdminService } from './admin/admin.service.js';
import { PusherApiRoute } from './pusher/pusher-api.route.js';
import { PusherChannelQueries } from './pusher/pusher-channel-queries.js';
import { PusherTrigger } from './pusher/pusher-trigger.js';
import { PusherUsers } from './pusher/pusher-users.js';
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
    PushModule,
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
    PusherTrigger,
    PusherChannelQueries,
    PusherUsers,
    PusherApiRoute,
  ],
  exports: [apiLoggerProvider, KeyMaterial],
})
export class ApiModule {}
