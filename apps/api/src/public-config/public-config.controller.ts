import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CONFIG, type HeraldConfig } from '@herald/config';

export class PublicConfigView {
  @ApiProperty({ example: 'http://localhost:3001', description: 'Where browsers and the SDK connect (HERALD_PUBLIC_GATEWAY_URL)' }) gatewayUrl: string;
  @ApiProperty({ example: 'http://localhost:3000', description: 'This API as clients reach it (HERALD_PUBLIC_API_URL)' }) apiUrl: string;
}

/** What a browser needs to know about this deployment (the dashboard's debug console connects the SDK here). */
@ApiTags('config')
@Controller('v1/config')
export class PublicConfigController {
  constructor(@Inject(CONFIG) private readonly config: HeraldConfig) {}

  @Get()
  @ApiOkResponse({ type: PublicConfigView })
  get(): PublicConfigView {
    return { gatewayUrl: this.config.publicGatewayUrl, apiUrl: this.config.publicApiUrl };
  }
}
