import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { AppKeyFields } from '../data-plane/app-key-fields.dto.js';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** How many members to list. */
export class PresenceLimitQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many members (the amount counts all)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

/** The data-plane read: a limit, plus the app key fields (appkey, accessToken). */
export class PresenceQueryDto extends IntersectionType(PresenceLimitQueryDto, AppKeyFields) {}

export class PresenceMemberView {
  @ApiProperty({ description: 'The user id given at connect' }) id: string;
  @ApiProperty({ type: Object, description: 'The JSON object given at connect (≤ 300 bytes)' }) data: Record<string, unknown>;
}

export class PresenceView {
  @ApiProperty() channel: string;
  @ApiProperty({ description: 'Members (distinct user ids) with a live connection' }) amount: number;
  @ApiProperty({ type: [PresenceMemberView], description: 'Up to `limit` members, in no particular order' }) members: PresenceMemberView[];
}
