import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Fields every data-plane request may carry, whatever the route (history, presence, publish). */
export class AppKeyFields {
  @ApiPropertyOptional({ description: 'For a private channel with the common or subscribe key: an access token (r: true to read, w: true to publish; see POST /v1/tokens)' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  accessToken?: string;

  @ApiPropertyOptional({ description: 'The app key, for clients that cannot set Authorization' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;
}
