import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AppKeyFields } from '../data-plane/app-key-fields.dto.js';
import { Type } from 'class-transformer';
import { Allow, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { ScheduledRecord } from '@herald/db';
import { CHANNEL_CHARACTERS } from '@herald/protocol';
import { PUSH_MODE_DOC, PublishPushView } from '../push/push.dto.js';

/** One publish. A closed whitelist: unknown fields are refused with 400 invalid_request, not ignored. */
export class PublishDto extends AppKeyFields {
  // Checked by PublishService, so a missing or malformed channel is always 400 invalid_channel.
  @ApiProperty({ type: String, example: 'chat.room-1', description: `1-164 characters from ${CHANNEL_CHARACTERS}` })
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

  // Checked by the scheduling use case (400 invalid_delay), so its message names the plan's horizon.
  @ApiPropertyOptional({ type: Number, description: 'Scheduled publish: deliver this many ms from now (at most the plan’s maxScheduleDelaySeconds)', example: 300000 })
  @Allow()
  delay?: unknown;

  @ApiPropertyOptional({ description: 'Scheduled publish: deliver at this time (Unix ms or ISO 8601); not with delay', example: '2026-12-01T09:00:00Z' })
  @Allow()
  at?: unknown;

  // Checked by the publish use case (400 invalid_push, 403 push_forbidden, 413 push_payload_too_large).
  @ApiPropertyOptional({ type: PublishPushView, description: "A Web Push notification to the channel's push subscribers (secret key only; docs/push.md)" })
  @Allow()
  push?: unknown;

  @ApiPropertyOptional(PUSH_MODE_DOC)
  @Allow()
  pushMode?: unknown;
}

/**
 * The fields PublishIngress leaves to PublishController: those that make a publish a scheduled one,
 * and Web Push (rare, and its refusals are the controller's to word).
 */
export const FRAMEWORK_ONLY_FIELDS = ['delay', 'at', 'push', 'pushMode'] as const satisfies ReadonlyArray<keyof PublishDto>;

/** One item of a batch: a publish without the scheduling fields. */
export class BatchItemDto {
  @ApiProperty({ type: String, example: 'chat.room-1' })
  @Allow()
  channel: unknown;

  @ApiProperty({ description: 'A string or any JSON value', example: { text: 'hello' } })
  @Allow()
  message: unknown;

  @ApiPropertyOptional({ description: 'Idempotency key, as for a single publish' })
  @Allow()
  id?: unknown;

  @ApiPropertyOptional({ description: 'Access token for a private channel (common key)' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  accessToken?: string;

  @ApiPropertyOptional({ type: PublishPushView, description: 'Web Push, as for a single publish' })
  @Allow()
  push?: unknown;

  @ApiPropertyOptional(PUSH_MODE_DOC)
  @Allow()
  pushMode?: unknown;
}

export class PublishBatchDto {
  // Items are checked one by one by the use case (one bad item fails alone); only the shape is checked here.
  @ApiProperty({ type: [BatchItemDto], description: 'At most HERALD_BATCH_MAX_ITEMS items (1,000 by default): over it → 413 batch_too_large' })
  @IsArray()
  items: BatchItemDto[];

  @ApiPropertyOptional({ description: 'The app key, for clients that cannot set Authorization' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;
}

export class ItemErrorView {
  @ApiProperty() code: number;
  @ApiProperty() reason: string;
  @ApiProperty() content: string;
}

export class BatchItemResultView {
  @ApiProperty({ description: 'Position of the item in the request' }) index: number;
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional() id?: string;
  @ApiPropertyOptional() channel?: string;
  @ApiPropertyOptional() offset?: number;
  @ApiPropertyOptional() epoch?: string;
  @ApiPropertyOptional() duplicate?: boolean;
  @ApiPropertyOptional({ type: ItemErrorView }) error?: ItemErrorView;
}

export class PublishBatchResultView {
  @ApiProperty({ type: [BatchItemResultView], description: 'One result per item, in request order' }) results: BatchItemResultView[];
  @ApiProperty() accepted: number;
  @ApiProperty() failed: number;
}

export class ScheduledView {
  @ApiProperty({ description: 'The message id it will be published with' }) id: string;
  @ApiProperty() channel: string;
  @ApiProperty({ description: 'When it is (or was) due, ISO 8601' }) at: string;
  @ApiProperty({ enum: ['scheduled', 'publishing', 'published', 'cancelled', 'failed'] }) status: string;
  @ApiProperty({ description: 'The message as published' }) message: unknown;
  @ApiProperty() scheduled: boolean;
  @ApiProperty({ description: 'true when this id was already scheduled: nothing new was stored' }) duplicate: boolean;
  @ApiPropertyOptional({ type: Number, nullable: true }) offset?: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) epoch?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) publishedAt?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error?: string | null;

  static of(r: ScheduledRecord, duplicate = false): ScheduledView {
    return Object.assign(new ScheduledView(), {
      id: r.id,
      channel: r.channel,
      at: r.at.toISOString(),
      status: r.status,
      message: JSON.parse(r.content) as unknown,
      scheduled: true,
      duplicate,
      offset: r.offset,
      epoch: r.epoch,
      publishedAt: r.publishedAt?.toISOString() ?? null,
      error: r.error,
    });
  }
}

export class ScheduledListQueryDto {
  @ApiPropertyOptional({ enum: ['scheduled', 'publishing', 'published', 'cancelled', 'failed'], description: 'Default: scheduled' })
  @IsOptional()
  @IsIn(['scheduled', 'publishing', 'published', 'cancelled', 'failed'])
  status?: ScheduledRecord['status'];

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

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
