import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class ChannelsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many channels' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class ChannelOccupancyView {
  @ApiProperty() channel: string;
  @ApiProperty({ description: 'Subscribers on every gateway (each gateway reports its count within a second of a change)' }) subscribers: number;
  @ApiProperty({ description: 'Distinct presence members (user ids)' }) presenceMembers: number;
}

export class ChannelsView {
  @ApiProperty({ type: [ChannelOccupancyView], description: 'Channels some gateway holds now (subscribers or presence watchers), up to `limit`' }) channels: ChannelOccupancyView[];
  @ApiProperty({ description: 'Occupied channels of the app in the index (may exceed the list)' }) total: number;
}

/** History through the dashboard session: the owner reads every channel, private ones included. */
export class DashboardHistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'Messages after this offset, oldest first; without it, the newest `limit`' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  since?: number;

  @ApiPropertyOptional({ minimum: 1, description: 'The newest `limit` messages before this offset (paging back into the archive); ignored with since' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;
}

export class DashboardPresenceQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many members (the amount counts all)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
