import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AppLimits } from '@herald/bus';
import type { AccountRecord } from '@herald/db';
import { AccountGuard, CurrentAccount } from '../accounts/account.guard.js';
import { ErrorView } from '../http/error.view.js';
import { AppsService } from '../apps/apps.service.js';

export class UsageView {
  @ApiProperty({ description: 'Live connections now, on every gateway' }) connections: number;
  @ApiProperty({ description: 'The plan’s cap on concurrent connections' }) maxConnections: number;
  @ApiProperty({ description: 'Publishes in the current second' }) publishesThisSecond: number;
  @ApiProperty() maxPublishesPerSecond: number;
  @ApiProperty({ description: 'Publishes plus deliveries today (UTC)' }) messagesToday: number;
  @ApiProperty({ nullable: true, type: Number, description: 'null = unlimited' }) maxMessagesPerDay: number | null;
}

/** The live counters every process enforces the plan with (Redis), as the app's owner sees them. */
@ApiTags('apps')
@ApiBearerAuth('account')
@UseGuards(AccountGuard)
@Controller('v1/apps')
export class UsageController {
  constructor(
    private readonly apps: AppsService,
    private readonly limits: AppLimits,
  ) {}

  @Get(':appId/usage')
  @ApiOkResponse({ type: UsageView })
  @ApiUnauthorizedResponse({ type: ErrorView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async usage(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string): Promise<UsageView> {
    const app = await this.apps.get(account.id, appId);
    const u = await this.limits.usage(app.id);
    return {
      ...u,
      maxConnections: app.plan.maxConnections,
      maxPublishesPerSecond: app.plan.maxPublishesPerSecond,
      maxMessagesPerDay: app.plan.maxMessagesPerDay,
    };
  }
}
