import type { Type } from '@nestjs/common';
import { AccountsController } from './accounts/accounts.controller.js';
import { AppsController } from './apps/apps.controller.js';
import { KeysController } from './keys/keys.controller.js';
import { PublishController } from './publish/publish.controller.js';
import { HistoryController } from './history/history.controller.js';
import { PresenceController } from './presence/presence.controller.js';
import { GoEasyController } from './goeasy/goeasy.controller.js';
import { TokensController } from './tokens/tokens.controller.js';
import { UsageController } from './usage/usage.controller.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { OwnerScheduledController } from './scheduled/owner-scheduled.controller.js';
import { PlansController } from './plans/plans.controller.js';
import { PublicConfigController } from './public-config/public-config.controller.js';
import { ChannelsController } from './channels/channels.controller.js';
import { AdminController } from './admin/admin.controller.js';
import { DeadLettersController } from './admin/dead-letters.controller.js';
import { PushController } from './push/push.controller.js';
import { OwnerPushController } from './push/owner-push.controller.js';

/**
 * Every controller of the API, in one list so the OpenAPI test can check each route is documented.
 * /health, /ready and /metrics come from @herald/observability (the same in every app).
 */
export const API_CONTROLLERS: Type[] = [
  AccountsController,
  AppsController,
  KeysController,
  PublishController,
  HistoryController,
  PresenceController,
  GoEasyController,
  TokensController,
  UsageController,
  WebhooksController,
  OwnerScheduledController,
  PlansController,
  PublicConfigController,
  ChannelsController,
  AdminController,
  DeadLettersController,
  PushController,
  OwnerPushController,
];
