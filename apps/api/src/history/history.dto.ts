import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { AppKeyFields } from '../data-plane/app-key-fields.dto.js';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Which page of a channel's history: the newest `limit`, after `since`, or before `before`. */
export class HistoryPageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  // Offsets are checked by the history service (400 invalid_position), as on the gateway.
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Return messages after this offset, oldest first; without it, the newest `limit`. Not an offset: 400 invalid_position' })
  @IsOptional()
  @Type(() => Number)
  since?: number;

  @ApiPropertyOptional({ minimum: 1, description: 'The newest `limit` messages before this offset, oldest first (paging back, past the Redis window into the archive); ignored with since. Not an offset: 400 invalid_position' })
  @IsOptional()
  @Type(() => Number)
  before?: number;
}

/** The data-plane read: a page, plus the app key fields (appkey, accessToken). */
export class HistoryQueryDto extends IntersectionType(HistoryPageQueryDto, AppKeyFields) {}

export class HistoryMessageView {
  @ApiProperty() id: string;
  @ApiProperty() channel: string;
  @ApiProperty() offset: number;
  @ApiProperty() epoch: string;
  @ApiProperty({ description: 'Publish time, ms since the epoch' }) time: number;
  @ApiProperty({ description: 'The message as published (string or JSON)' }) content: unknown;
}

export class HistoryView {
  @ApiProperty() channel: string;
  @ApiProperty({ description: 'The channel’s current epoch' }) epoch: string;
  @ApiProperty({ description: 'The channel’s newest offset' }) offset: number;
  @ApiProperty({ type: [HistoryMessageView], description: 'Oldest first' }) messages: HistoryMessageView[];
}
