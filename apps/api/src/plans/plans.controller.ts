import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PlanView } from '../apps/apps.dto.js';
import { AppsService } from '../apps/apps.service.js';

/** The plans an app can be on, with their limits (the create-app form). Public: nothing secret in them. */
@ApiTags('plans')
@Controller('v1/plans')
export class PlansController {
  constructor(private readonly apps: AppsService) {}

  @Get()
  @ApiOkResponse({ type: [PlanView], description: 'Smallest first' })
  async list(): Promise<PlanView[]> {
    return (await this.apps.listPlans()).map((p) => PlanView.of(p));
  }
}
