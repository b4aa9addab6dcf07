import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AppView, PlanView } from '../apps/apps.dto.js';
import { ErrorView } from '../http/error.view.js';
import { AdminAccountView, AdminAppView, AdminListQueryDto, ChangePlanDto, SuspendAppDto } from './admin.dto.js';
import { AdminGuard } from './admin.guard.js';
import { AdminService, type AppOverview } from './admin.service.js';

function appView(a: AppOverview): AdminAppView {
  return Object.assign(new AdminAppView(), AppView.of(a), { ownerEmail: a.ownerEmail, connections: a.connections, messagesToday: a.messagesToday });
}

/** Every tenant, for accounts with the admin role. */
@ApiTags('admin')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView, description: 'unauthorized: no or an expired session' })
@ApiForbiddenResponse({ type: ErrorView, description: 'forbidden: the account is not an admin' })
@UseGuards(AdminGuard)
@Controller('v1/admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('accounts')
  @ApiOkResponse({ type: [AdminAccountView], description: 'Newest first' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request' })
  async accounts(@Query() q: AdminListQueryDto): Promise<AdminAccountView[]> {
    return (await this.admin.accounts(q.q, q.limit ?? 500)).map((a) => ({
      id: a.id,
      email: a.email,
      role: a.role,
      createdAt: a.createdAt.toISOString(),
      apps: a.appIds.length,
      messagesToday: a.messagesToday,
    }));
  }

  @Get('plans')
  @ApiOkResponse({ type: [PlanView], description: 'Every plan, smallest first: the selectable ones and those only an operator assigns (demo, custom)' })
  async plans(): Promise<PlanView[]> {
    return (await this.admin.plans()).map((p) => PlanView.of(p));
  }

  @Get('apps')
  @ApiOkResponse({ type: [AdminAppView], description: 'Oldest first' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request' })
  async apps(@Query() q: AdminListQueryDto): Promise<AdminAppView[]> {
    return (await this.admin.apps(q.q, q.limit ?? 500)).map(appView);
  }

  @Post('apps/:appId/suspend')
  @HttpCode(200)
  @ApiOkResponse({ type: AppView, description: 'Suspended: live connections close with 4403 app_suspended within HERALD_KEY_RECHECK_MS, publishes and new connections are refused (403 app_suspended)' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async suspend(@Param('appId') appId: string, @Body() dto: SuspendAppDto): Promise<AppView> {
    return AppView.of(await this.admin.suspend(appId, dto.reason));
  }

  @Post('apps/:appId/resume')
  @HttpCode(200)
  @ApiOkResponse({ type: AppView, description: 'Active again: its keys work within HERALD_KEY_CACHE_MS' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async resume(@Param('appId') appId: string): Promise<AppView> {
    return AppView.of(await this.admin.resume(appId));
  }

  @Patch('apps/:appId')
  @ApiOkResponse({ type: AppView, description: 'On the new plan; a history override above the new plan’s window is cleared' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_request (e.g. an unknown plan)' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found' })
  async changePlan(@Param('appId') appId: string, @Body() dto: ChangePlanDto): Promise<AppView> {
    return AppView.of(await this.admin.changePlan(appId, dto.planId));
  }
}
