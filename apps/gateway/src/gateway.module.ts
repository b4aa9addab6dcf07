import { Module } from '@nestjs/common';
import { ConfigModule } from '@herald/config';
import { DbModule } from '@herald/db';
import { BusModule } from '@herald/bus';
import { QueueModule } from '@herald/queue';
import { PublishingModule } from '@herald/publishing';
import { HealthModule, MetricsModule } from '@herald/observability';
import { ChannelHub } from './channels/channel-hub.js';
import { SessionCore } from './session/session-core.js';
import { PresenceMembers } from './session/presence-members.js';
import { KeyAudit } from './session/key-audit.js';
import { ConnectAuth } from './connect/connect-auth.js';
import { WsGateway } from './ws/ws.gateway.js';
import { HttpConnectService } from './http/http-connect.js';
import { GatewayPublishController } from './http/publish.controller.js';
import { SseRoute } from './sse/sse.route.js';
import { PollRoute } from './poll/poll.route.js';
import { ReadsController } from './http/reads.controller.js';
import { SdkController } from './sdk/sdk.controller.js';
import { ChannelsModule } from '@herald/channels';
import { PusherConnections } from './pusher/pusher-connections.js';
import { PusherChannelAuth } from './pusher/pusher-channel-auth.js';
import { MqttConnections } from './mqtt/mqtt-connections.js';
import { MqttListener } from './mqtt/mqtt-listener.js';
import { MqttPublishing } from './mqtt/mqtt-publishing.js';
import { MqttSubscriptions } from './mqtt/mqtt-subscriptions.js';
import { MqttTakeover } from './mqtt/mqtt-takeover.js';
import { MqttWildcards } from './mqtt/mqtt-wildcards.js';
import { PusherPresence } from './pusher/pusher-presence.js';
import { PusherClientEvents } from './pusher/pusher-client-events.js';
import { PusherCache } from './pusher/pusher-cache.js';
import { PusherSubscriptionCount } from './pusher/pusher-subscription-count.js';
import { PusherSignin } from './pusher/pusher-signin.js';

@Module({
  imports: [
    ConfigModule,
    DbModule,
    BusModule,
    QueueModule,
    PublishingModule,
    ChannelsModule,
    HealthModule.forRoot({ app: 'gateway' }),
    MetricsModule.forRoot({ app: 'gateway' }),
  ],
  controllers: [GatewayPublishController, ReadsController, SdkController],
  providers: [SseRoute, PollRoute, ChannelHub, SessionCore, PresenceMembers, KeyAudit, ConnectAuth, HttpConnectService, WsGateway, PusherConnections, PusherChannelAuth, PusherPresence, PusherClientEvents, PusherCache, PusherSubscriptionCount, PusherSignin, MqttConnections, MqttListener, MqttPublishing, MqttSubscriptions, MqttTakeover, MqttWildcards],
})
export class GatewayModule {}
