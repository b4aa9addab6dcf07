import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsOptional, IsPositive, IsString, Length, Matches, Max, MaxLength, registerDecorator, type ValidationOptions } from 'class-validator';
import { CHANNEL_CHARACTERS, isValidChannel } from '@herald/protocol';
import type { AppRecord, PlanLimits, PlanOffer } from '@herald/db';
import { canonicalOrigin, IsOrigin } from './origin.js';

/** A region label: lower-case words joined by dashes (eu-west, us-east…). */
const REGION_PATTERN = /^[a-z0-9][a-z0-9-]{1,31}$/;

function IsChannelPrefix(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isChannelPrefix',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `each value in $property must be 1-164 characters from ${CHANNEL_CHARACTERS}`, ...options },
      validator: { validate: (v: unknown) => isValidChannel(v) },
    });
}

export class CreateAppDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'My chat' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiPropertyOptional({ pattern: REGION_PATTERN.source, example: 'eu-west', description: 'A label for your records (default eu-west)' })
  @IsOptional()
  @IsString()
  @Matches(REGION_PATTERN, { message: 'region must be 2-32 characters from a-z 0-9 -' })
  region?: string;

  @ApiPropertyOptional({ example: 'free', default: 'free', maxLength: 64, description: 'One of GET /v1/plans (403 plan_not_selectable for a plan only an operator assigns)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  planId?: string;

  @ApiPropertyOptional({ type: [String], example: ['https://example.com'], description: 'Empty or absent: any origin' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsOrigin({ each: true })
  @Transform(({ value }) => (Array.isArray(value) ? value.map((v) => canonicalOrigin(v) ?? v) : value))
  allowedOrigins?: string[];

  @ApiPropertyOptional({ description: 'Messages kept per channel; at most the plan’s', example: 50 })
  @IsOptional()
  @IsInt()
  @IsPositive()
  @Max(1_000_000)
  historySize?: number;

  @ApiPropertyOptional({ description: 'How long history is kept, in seconds; at most the plan’s', example: 3600 })
  @IsOptional()
  @IsInt()
  @IsPositive()
  @Max(365 * 86_400)
  historyTtlSeconds?: number;
}

/**
 * What the owner may change; absent = unchanged. `null` history fields go back to the plan's window.
 * The history window is checked against the plan by AppsService (the DTO does not know the plan).
 */
export class UpdateAppDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ pattern: REGION_PATTERN.source, example: 'eu-west', description: 'A label for your records (default eu-west)' })
  @IsOptional()
  @IsString()
  @Matches(REGION_PATTERN, { message: 'region must be 2-32 characters from a-z 0-9 -' })
  region?: string;

  @ApiPropertyOptional({ type: [String], example: ['https://example.com'], description: 'Empty: any origin' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsOrigin({ each: true })
  @Transform(({ value }) => (Array.isArray(value) ? value.map((v) => canonicalOrigin(v) ?? v) : value))
  allowedOrigins?: string[];

  @ApiPropertyOptional({ type: [String], example: ['private-'], description: 'Channels starting with one of these need an access token (or the secret); empty: none' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  // A prefix is the start of a channel name, so it follows the channel rules (1–164 characters of the channel alphabet).
  @IsChannelPrefix({ each: true })
  privatePrefixes?: string[];

  @ApiPropertyOptional({ description: 'Pusher client events (`client-*`) on private and presence channels (default false)' })
  @IsOptional()
  @IsBoolean()
  clientEvents?: boolean;

  @ApiPropertyOptional({ description: 'Pusher `subscription_count` events to the subscribers of its (non-presence) channels (default false)' })
  @IsOptional()
  @IsBoolean()
  subscriptionCount?: boolean;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Messages kept per channel, at most the plan’s; null = the plan’s' })
  @IsOptional()
  @IsInt()
  @IsPositive()
  @Max(1_000_000)
  historySize?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Seconds a message is kept, at most the plan’s; null = the plan’s' })
  @IsOptional()
  @IsInt()
  @IsPositive()
  @Max(365 * 86_400)
  historyTtlSeconds?: number | null;
}

export class PlanView {
  @ApiProperty({ example: 'free' }) id: string;
  @ApiProperty({ example: 'Free' }) name: string;
  @ApiProperty() maxConnections: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null = unlimited' }) maxMessagesPerDay: number | null;
  @ApiProperty() maxPublishesPerSecond: number;
  @ApiProperty() maxPayloadBytes: number;
  @ApiProperty() historySize: number;
  @ApiProperty() historyTtlSeconds: number;
  @ApiProperty() maxChannelsPerConnection: number;
  @ApiProperty() anyOrigin: boolean;
  @ApiProperty({ description: 'How far ahead a publish may be scheduled' }) maxScheduleDelaySeconds: number;
  @ApiProperty({ description: 'How long the Postgres archive (long history) keeps messages' }) archiveRetentionDays: number;
  @ApiProperty({ description: 'Scheduled messages of an app waiting for their time (409 too_many_scheduled over it)' }) maxScheduledPending: number;
  @ApiProperty({ description: "Webhook endpoints per app (409 too_many_webhooks over it)" }) maxWebhooks: number;
  @ApiProperty({ description: 'Pusher client events one connection may send per second (pusher:error 4301 over it)' }) maxClientEventsPerSecond: number;
  @ApiProperty({ description: 'Events per Pusher batch_events request (400 over it)' }) maxPusherBatchEvents: number;
  @ApiProperty({ description: 'Web Push subscriptions per app (409 too_many_push_subscriptions over it)' }) maxPushSubscriptions: number;
  @ApiPropertyOptional({ description: 'In plan lists: a customer may pick it when creating an app; other plans are assigned by an operator' }) selectable?: boolean;

  static of(p: PlanLimits | PlanOffer): PlanView {
    return Object.assign(new PlanView(), p);
  }
}

export class HistoryWindowView {
  @ApiProperty({ description: 'Messages kept per channel' }) size: number;
  @ApiProperty({ description: 'Seconds a message is kept' }) ttlSeconds: number;
}

export class AppView {
  @ApiProperty({ example: 'app_3kTq9ZpX2mLw8RvN' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'eu-west', description: 'A label for the customer’s records' }) region: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status: AppRecord['status'];
  @ApiProperty({ type: PlanView }) plan: PlanView;
  @ApiProperty({ type: HistoryWindowView, description: 'The effective window (the app’s, capped by the plan’s)' }) history: HistoryWindowView;
  @ApiProperty({ type: [String] }) allowedOrigins: string[];
  @ApiProperty({ type: [String], description: 'Channel prefixes that need an access token (or the secret)' }) privatePrefixes: string[];
  @ApiProperty({ description: 'Pusher client events (`client-*`) allowed on private and presence channels' }) clientEvents: boolean;
  @ApiProperty({ description: 'Pusher `subscription_count` events sent to the subscribers of its channels' }) subscriptionCount: boolean;
  @ApiProperty({ type: Number, nullable: true, description: 'The app’s own history size as set; null = the plan’s (the effective one is `history.size`)' }) historySize: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The app’s own history TTL as set; null = the plan’s (the effective one is `history.ttlSeconds`)' }) historyTtlSeconds: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why an admin suspended the app (null when active or none given)' }) suspendedReason: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) suspendedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;

  static of(a: AppRecord): AppView {
    return Object.assign(new AppView(), {
      id: a.id,
      name: a.name,
      region: a.region,
      status: a.status,
      plan: PlanView.of(a.plan),
      history: { size: a.historySize, ttlSeconds: a.historyTtlSeconds },
      allowedOrigins: a.allowedOrigins,
      privatePrefixes: a.privatePrefixes,
      clientEvents: a.clientEvents,
      subscriptionCount: a.subscriptionCount,
      historySize: a.historySizeOverride,
      historyTtlSeconds: a.historyTtlSecondsOverride,
      suspendedReason: a.suspendedReason,
      suspendedAt: a.suspendedAt?.toISOString() ?? null,
      createdAt: a.createdAt.toISOString(),
    });
  }
}

export class NewKeysView {
  @ApiProperty({ example: 'BC-…' }) common: string;
  @ApiProperty({ example: 'BS-…' }) subscribe: string;
  @ApiProperty({ description: 'Shown once; reveal it later with POST /v1/apps/{appId}/keys/secret/reveal' }) secret: string;
}

export class CreatedAppView extends AppView {
  @ApiProperty({ type: NewKeysView }) keys: NewKeysView;
}
