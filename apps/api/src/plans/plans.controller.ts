import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PlanView } from '../apps/apps.dto.js';
import { AppsService } from '../apps/apps.service.js';

/** The plans a customer may pick, with their limits (the create-app form). Public: nothing secret in them. */
@ApiTags('plans')
@Controller('v1/plans')
export class PlansController {
  constructor(private readonly apps: AppsService) {}

  @Get()
  @ApiOkResponse({ type: [PlanView], description: 'Smallest first; the demo and custom plans are assigned by an operator and not listed' })
  async list(): Promise<PlanView[]> {
    return (await this.apps.selectablePlans()).map((p) => PlanView.of(p));
  }
}
