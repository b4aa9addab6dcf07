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
