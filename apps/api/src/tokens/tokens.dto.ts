import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_TOKEN_TTL_S } from '@herald/auth';

export class CreateTokenDto {
  // Checked by the use case, so a bad channel is always 400 invalid_channel.
  @ApiProperty({ type: String, example: 'private-orders-42' })
  @Allow()
  channel: unknown;

  @ApiPropertyOptional({ description: 'The user id the token is for: it then works only on a connection made with that id' })
  @IsOptional()
  @IsString()
  @MaxLength(60)
  id?: string;

  @ApiPropertyOptional({ description: 'May subscribe and read history/presence (default true)' })
  @IsOptional()
  @IsBoolean()
  r?: boolean;

  @ApiPropertyOptional({ description: 'May publish (default false)' })
  @IsOptional()
  @IsBoolean()
  w?: boolean;

  @ApiPropertyOptional({ description: `Lifetime in seconds, 1 to ${MAX_TOKEN_TTL_S} (default 3600)` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_TTL_S)
  ttlSeconds?: number;
}

export class TokenView {
  @ApiProperty({ description: 'HS256 JWT signed with the app secret: pass it as accessToken' }) token: string;
  @ApiProperty({ description: 'Expiry, ISO 8601' }) expiresAt: string;
}
