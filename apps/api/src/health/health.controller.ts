import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';

export class HealthView {
  @ApiProperty({ example: 'ok' }) status: 'ok';
}

@ApiTags('ops')
@Controller()
export class HealthController {
  @Get('health')
  @ApiOkResponse({ type: HealthView })
  health(): HealthView {
    return { status: 'ok' };
  }
}
