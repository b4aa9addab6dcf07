import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { AccountsRepository } from './repositories/accounts.repository.js';
import { AppsRepository } from './repositories/apps.repository.js';
import { KeysRepository } from './repositories/keys.repository.js';
import { ArchiveRepository } from './repositories/archive.repository.js';
import { WebhooksRepository } from './repositories/webhooks.repository.js';
import { PushRepository } from './repositories/push.repository.js';
import { ScheduledRepository } from './repositories/scheduled.repository.js';
import { UsageRepository } from './repositories/usage.repository.js';
import { AdminRepository } from './repositories/admin.repository.js';
import { KeyResolver } from './key-resolver.js';
import { AccessTokens } from './access-tokens.js';

const providers = [PrismaService, AccountsRepository, AppsRepository, KeysRepository, ArchiveRepository, WebhooksRepository, PushRepository, ScheduledRepository, UsageRepository, AdminRepository, KeyResolver, AccessTokens];

@Global()
@Module({ providers, exports: providers })
export class DbModule {}
