import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * One publish. Deliberately a closed whitelist: `delay`/`at` (scheduled publish) and the batch form
 * (`POST /v1/publish/batch`, an array of these) come later; until then such fields are refused with
 * 400 invalid_request instead of being ignored.
 */
export class PublishDto {
  // Checked by PublishService, so a missing or malformed channel is always 400 invalid_channel.
  @ApiProperty({ type: String, example: 'chat.room-1', description: '1-164 characters from A-Z a-z 0-9 _ - = @ , . ; : !' })
  @Allow()
  channel: unknown;

  // Any JSON value; PublishService checks presence and the plan's payload size.
  @ApiProperty({ description: 'A string or any JSON value', example: { text: 'hello' } })
  @Allow()
  message: unknown;

  @ApiPropertyOptional({ description: 'Idempotency key (1-64 of A-Z a-z 0-9 _ - . ~): the same id within 24 h is stored once', example: 'order-42-paid' })
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional({ description: 'For a private channel when publishing with the common key: an access token with w: true (see POST /v1/tokens)' })
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

export class PublishResultView {
  @ApiProperty({ description: 'Message id (the idempotency key if one was given)' }) id: string;
  @ApiProperty() channel: string;
  @ApiProperty({ description: 'Position in the channel, increasing by one per message within an epoch', example: 1 }) offset: number;
  @ApiProperty({ description: 'Changes whenever the channel’s history is lost' }) epoch: string;
  @ApiProperty({ description: 'true when this id was already accepted: nothing new was stored' }) duplicate: boolean;
}
