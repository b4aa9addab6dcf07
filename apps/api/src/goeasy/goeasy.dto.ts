import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** GoEasy's REST publish: JSON or form-encoded, the key in the body. */
export class GoEasyPublishDto {
  // Optional here because AppKeyGuard has already required a key (body, query or Authorization).
  @ApiPropertyOptional({ description: 'Common key or secret (a subscribe key is refused with 403); or Authorization: Bearer' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;

  @ApiProperty({ type: String })
  @Allow()
  channel: unknown;

  @ApiProperty({ description: 'The message text' })
  @IsString({ message: 'content is required (a string)' })
  content: string;

  // Accepted for compatibility with GoEasy integrations that send push notifications; ignored (no Web Push yet).
  @ApiPropertyOptional({ description: 'GoEasy push notification {title, body}; accepted and ignored' })
  @IsOptional()
  @IsObject()
  notification?: Record<string, unknown>;
}

export class GoEasyHistoryQueryDto {
  @ApiPropertyOptional({ description: 'Any app key; or Authorization: Bearer' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;

  @ApiProperty({ type: String })
  @Allow()
  channel: unknown;

  @ApiPropertyOptional({ description: 'Earliest publish time, ms' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  start?: number;

  @ApiPropertyOptional({ description: 'Latest publish time, ms' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  end?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class GoEasyOkView {
  @ApiProperty({ example: 200 }) code: number;
  @ApiProperty({ example: 'OK' }) content: string;
}

export class GoEasyMessageView {
  @ApiProperty() time: number;
  @ApiProperty() content: unknown;
}

export class GoEasyMessagesView {
  @ApiProperty({ type: [GoEasyMessageView], description: 'Newest first' }) messages: GoEasyMessageView[];
}

export class GoEasyHistoryView {
  @ApiProperty({ example: 200 }) code: number;
  @ApiProperty({ type: GoEasyMessagesView }) content: GoEasyMessagesView;
}

export class GoEasyHereNowQueryDto {
  @ApiPropertyOptional({ description: 'Any app key; or Authorization: Bearer' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;

  @ApiProperty({ type: String })
  @Allow()
  channel: unknown;

  // GoEasy's SDK hereNow caps members at 100; its REST form sends no limit.
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class GoEasyMemberView {
  @ApiProperty() id: string;
  @ApiProperty({ type: Object }) data: Record<string, unknown>;
}

export class GoEasyHereNowContentView {
  @ApiProperty() channel: string;
  @ApiProperty() amount: number;
  @ApiProperty({ type: [GoEasyMemberView] }) members: GoEasyMemberView[];
}

export class GoEasyHereNowView {
  @ApiProperty({ example: 200 }) code: number;
  @ApiProperty({ type: GoEasyHereNowContentView }) content: GoEasyHereNowContentView;
}
