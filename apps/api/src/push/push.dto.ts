import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CHANNEL_CHARACTERS, PUSH_MODES, PUSH_URGENCIES } from '@herald/protocol';
import type { PushAttemptRecord, PushSubscriptionRecord } from '@herald/db';

class PushKeysView {
  @ApiProperty({ description: "The subscriber's P-256 public key: unpadded base64url of the 65-byte uncompressed point" }) p256dh: string;
  @ApiProperty({ description: 'The 16-byte auth secret, unpadded base64url' }) auth: string;
}

export class PushSubscriptionJson {
  @ApiProperty({ description: "The push service URL (https; a private or http endpoint only with HERALD_WEBHOOKS_ALLOW_PRIVATE=true)", example: 'https://fcm.googleapis.com/fcm/send/…' })
  endpoint: string;
  @ApiProperty({ type: PushKeysView }) keys: PushKeysView;
}

/** `POST /v1/push/subscriptions`: a browser's PushSubscription and the channels it wants pushes for. */
export class SubscribePushDto {
  // Checked by the use case: stable codes (invalid_push_subscription, push_endpoint_private, invalid_channel).
  @ApiProperty({ type: PushSubscriptionJson, description: "PushSubscription.toJSON() as the browser gives it" })
  @Allow()
  subscription: unknown;

  @ApiProperty({ type: [String], example: ['news', 'user.42'], description: `Channel names (${CHANNEL_CHARACTERS}), at most the plan's channels per connection` })
  @Allow()
  channels: unknown;

  @ApiPropertyOptional({ type: String, description: 'The user this browser belongs to: pushMode offline skips it while that user is connected on the channel' })
  @Allow()
  userId?: unknown;

  @ApiPropertyOptional({ type: String, description: 'An access token (r) for a private channel, unless the secret is the key' })
  @Allow()
  token?: unknown;

  @ApiPropertyOptional({ description: 'The app key, for clients that cannot set Authorization' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;
}

export class UnsubscribePushDto {
  @ApiProperty({ description: 'The endpoint of the subscription to remove' })
  @Allow()
  endpoint: unknown;

  @ApiPropertyOptional({ description: 'The app key, for clients that cannot set Authorization' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;
}

export class AppKeyQueryDto {
  @ApiPropertyOptional({ description: 'The app key (BC-… or BS-…), unless given as a bearer token' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appkey?: string;
}

export class VapidKeyView {
  @ApiProperty({ description: "The app's VAPID public key (unpadded base64url of the 65-byte P-256 point): PushManager.subscribe's applicationServerKey" })
  publicKey: string;
}

export class PushSubscriptionView {
  @ApiProperty() id: string;
  @ApiProperty() endpoint: string;
  @ApiProperty({ type: [String] }) channels: string[];
  @ApiProperty({ type: String, nullable: true }) userId: string | null;

  static of(s: PushSubscriptionRecord): PushSubscriptionView {
    return Object.assign(new PushSubscriptionView(), { id: s.id, endpoint: s.endpoint, channels: s.channels, userId: s.userId });
  }
}

export class OwnerPushSubscriptionView extends PushSubscriptionView {
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static ofRecord(s: PushSubscriptionRecord): OwnerPushSubscriptionView {
    return Object.assign(new OwnerPushSubscriptionView(), PushSubscriptionView.of(s), { createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() });
  }
}

export class PushSubscriptionPageView {
  @ApiProperty({ type: [OwnerPushSubscriptionView] }) subscriptions: OwnerPushSubscriptionView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' }) nextCursor: string | null;
}

class PushStatsView {
  @ApiProperty({ description: 'Deliveries made (one per message and subscription)' }) sent: number;
  @ApiProperty({ description: 'Accepted by the push service (201/202)' }) delivered: number;
  @ApiProperty({ description: 'The push service said the subscription is gone (404/410): removed' }) expired: number;
  @ApiProperty({ description: 'Refused, or retries used up' }) failed: number;
}

export class PushOverviewView {
  @ApiProperty() publicKey: string;
  @ApiProperty({ type: PushStatsView }) stats: PushStatsView;
  @ApiProperty({ description: 'Subscriptions stored' }) subscriptions: number;
}

export class PushAttemptView {
  @ApiProperty() id: string;
  @ApiProperty() deliveryId: string;
  @ApiProperty() subscriptionId: string;
  @ApiProperty() channel: string;
  @ApiProperty() messageId: string;
  @ApiProperty({ description: "The push service's origin" }) origin: string;
  @ApiProperty() at: string;
  @ApiProperty({ type: Number, nullable: true, description: "The push service's HTTP status; null when it did not answer" }) statusCode: number | null;
  @ApiProperty({ enum: ['delivered', 'retry', 'expired', 'failed'] }) outcome: string;
  @ApiProperty() latencyMs: number;
  @ApiProperty({ type: String, nullable: true }) error: string | null;

  static of(a: PushAttemptRecord): PushAttemptView {
    return Object.assign(new PushAttemptView(), { ...a, at: a.at.toISOString() });
  }
}

export class PushAttemptPageView {
  @ApiProperty({ type: [PushAttemptView], description: 'Newest first' }) attempts: PushAttemptView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class PushSubscriptionsQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(164) channel?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) userId?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(100) cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

export class PushDeliveriesQueryDto {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(20) cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

export class TestPushDto {
  @ApiPropertyOptional({ description: 'One subscription (or give channel)' }) @Allow() subscriptionId?: unknown;
  @ApiPropertyOptional({ description: 'Every subscription of this channel (or give subscriptionId)' }) @Allow() channel?: unknown;
  @ApiProperty({ example: 'Hello' }) @Allow() title: unknown;
  @ApiProperty({ example: 'A test notification from Herald' }) @Allow() body: unknown;
}

export class TestPushView {
  @ApiProperty({ description: 'The push message id (its deliveries appear in the delivery log)' }) id: string;
}

/** The `push` option of a publish (docs/push.md), for the OpenAPI document; checked by the publish use case. */
export class PublishPushView {
  @ApiProperty({ example: 'New message' }) title: string;
  @ApiProperty({ example: 'Ann: are you there?' }) body: string;
  @ApiPropertyOptional({ description: 'An http(s) URL or a path' }) icon?: string;
  @ApiPropertyOptional({ description: 'Opened on click (http(s) URL or a path)' }) url?: string;
  @ApiPropertyOptional({ description: 'Any JSON value, handed to the service worker' }) data?: unknown;
  @ApiPropertyOptional({ description: 'Seconds the push service keeps it for an offline device (0 … 2419200, default 86400)' }) ttl?: number;
  @ApiPropertyOptional({ enum: [...PUSH_URGENCIES], description: 'RFC 8030 Urgency (default normal)' }) urgency?: string;
  @ApiPropertyOptional({ description: 'A newer push with the same topic replaces an undelivered one (1-32 of A-Z a-z 0-9 _ -)' }) topic?: string;
}

export const PUSH_MODE_DOC = { enum: [...PUSH_MODES], description: 'always (default): every push subscription of the channel; offline: only those whose user has no live connection on it' };
