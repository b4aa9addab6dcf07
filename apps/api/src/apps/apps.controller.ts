import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AccountRecord } from '@herald/db';
import { AccountGuard, CurrentAccount } from '../accounts/account.guard.js';
import { ErrorView } from '../http/error.view.js';
import { AppView, CreateAppDto, CreatedAppView, UpdateAppDto } from './apps.dto.js';
import { AppsService } from './apps.service.js';

@ApiTags('apps')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView })
@UseGuards(AccountGuard)
@Controller('v1/apps')
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedAppView, description: 'The app and its keys; the secret is shown here once' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request (e.g. a history window above the plan’s)' })
  async create(@CurrentAccount() account: AccountRecord, @Body() dto: CreateAppDto): Promise<CreatedAppView> {
    const { app, keys } = await this.apps.create({
      accountId: account.id,
      name: dto.name,
      region: dto.region,
      planId: dto.planId ?? 'free',
      allowedOrigins: dto.allowedOrigins ?? [],
      historySize: dto.historySize,
      historyTtlSeconds: dto.historyTtlSeconds,
    });
    return Object.assign(AppView.of(app), { keys });
  }

  @Get()
  @ApiOkResponse({ type: [AppView] })
  async list(@CurrentAccount() account: AccountRecord): Promise<AppView[]> {
    return (await this.apps.list(account.id)).map((a) => AppView.of(a));
  }

  @Get(':appId')
  @ApiOkResponse({ type: AppView })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async get(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string): Promise<AppView> {
    return AppView.of(await this.apps.get(account.id, appId));
  }

  @Patch(':appId')
  @ApiOkResponse({ type: AppView, description: 'The app with its new settings; new connections and requests use them within HERALD_KEY_CACHE_MS' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request (an origin or prefix that is not one, a history window above the plan’s)' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async update(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Body() dto: UpdateAppDto): Promise<AppView> {
    return AppView.of(await this.apps.update(account.id, appId, dto));
  }

  @Delete(':appId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its keys and history archive' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async delete(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string): Promise<void> {
    await this.apps.delete(account.id, appId);
  }
}
