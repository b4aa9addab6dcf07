import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional } from 'class-validator';
import { AppLimits } from '@herald/bus';
import { UsageRepository, type AccountRecord } from '@herald/db';
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

export class LiveStatsView {
  @ApiProperty({ type: String, format: 'date-time', description: 'When the counters were read' }) at: string;
  @ApiProperty({ description: 'Live connections now, on every gateway' }) connections: number;
  @ApiProperty({ description: 'Accepted publishes per second, averaged over the last `windowSeconds` complete seconds' }) publishesPerSecond: number;
  @ApiProperty({ description: 'Messages written to subscribers per second, same window' }) deliveriesPerSecond: number;
  @ApiProperty({ description: 'The averaging window in seconds' }) windowSeconds: number;
  @ApiProperty({ description: 'The plan’s cap on concurrent connections' }) maxConnections: number;
}

export class UsageHistoryQueryDto {
  @ApiPropertyOptional({ enum: ['day', 'minute'], default: 'day' })
  @IsOptional()
  @IsIn(['day', 'minute'])
  granularity?: 'day' | 'minute';

  @ApiPropertyOptional({ type: String, description: 'ISO 8601; default: 30 days ago (day) or 1 hour ago (minute)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, description: 'ISO 8601; default: now' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class UsagePeriodView {
  @ApiProperty({ description: 'The UTC day (YYYY-MM-DD) or minute (ISO 8601) counted' }) period: string;
  @ApiProperty() publishes: number;
  @ApiProperty({ description: 'Messages written to subscribers' }) deliveries: number;
  @ApiProperty() webhookAttempts: number;
  @ApiProperty({ description: 'Most concurrent connections seen (at connection time)' }) peakConnections: number;
}

export class UsageHistoryView {
  @ApiProperty({ enum: ['day', 'minute'] }) granularity: string;
  @ApiProperty({ type: [UsagePeriodView], description: 'Oldest first; periods without activity are absent' }) periods: UsagePeriodView[];
  @ApiProperty({ description: 'Sums over the periods returned' }) total: UsagePeriodView;
}

const LIVE_WINDOW_S = 5;

/** The live counters every process enforces the plan with (Redis), as the app's owner sees them. */
@ApiTags('apps')
@ApiBearerAuth('account')
@UseGuards(AccountGuard)
@Controller('v1/apps')
export class UsageController {
  constructor(
    private readonly apps: AppsService,
    private readonly limits: AppLimits,
    private readonly usageRows: UsageRepository,
  ) {}

  /** Usage rolled up by the worker (per minute, per day): what the dashboard charts and billing read. */
  @Get(':appId/usage/history')
  @ApiOkResponse({ type: UsageHistoryView })
  @ApiUnauthorizedResponse({ type: ErrorView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async history(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Query() q: UsageHistoryQueryDto): Promise<UsageHistoryView> {
    const app = await this.apps.get(account.id, appId);
    const granularity = q.granularity ?? 'day';
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - (granularity === 'day' ? 30 * 86_400_000 : 3_600_000));
    const periods =
      granularity === 'day'
        ? (await this.usageRows.days(app.id, from, to)).map(({ day, ...c }) => ({ period: day, ...c }))
        : (await this.usageRows.minutes(app.id, from, to)).map(({ minute, ...c }) => ({ period: minute, ...c }));
    const total = periods.reduce(
      (t, p) => ({ ...t, publishes: t.publishes + p.publishes, deliveries: t.deliveries + p.deliveries, webhookAttempts: t.webhookAttempts + p.webhookAttempts, peakConnections: Math.max(t.peakConnections, p.peakConnections) }),
      { period: `${from.toISOString()}/${to.toISOString()}`, publishes: 0, deliveries: 0, webhookAttempts: 0, peakConnections: 0 },
    );
    return { granularity, periods, total };
  }

  /** Polled every few seconds by the dashboard's live chart: a handful of Redis reads, nothing in Postgres but the app. */
  @Get(':appId/stats/live')
  @ApiOkResponse({ type: LiveStatsView })
  @ApiUnauthorizedResponse({ type: ErrorView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async live(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string): Promise<LiveStatsView> {
    const app = await this.apps.get(account.id, appId);
    const now = Date.now();
    const [usage, rates] = await Promise.all([this.limits.usage(app.id, now), this.limits.liveRates(app.id, LIVE_WINDOW_S, now)]);
    return {
      at: new Date(now).toISOString(),
      connections: usage.connections,
      publishesPerSecond: rates.publishesPerSecond,
      deliveriesPerSecond: rates.deliveriesPerSecond,
      windowSeconds: rates.windowSeconds,
      maxConnections: app.plan.maxConnections,
    };
  }

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
