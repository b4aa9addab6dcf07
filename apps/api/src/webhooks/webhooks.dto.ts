import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsBoolean, IsDate, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { EVENT_TYPES } from '@herald/bus';
import { WEBHOOK_FORMATS, type AttemptRecord, type DeliveryRecord, type WebhookFormat, type WebhookRecord } from '@herald/db';

export class CreateWebhookDto {
  // Checked by the use case: http(s) (400 invalid_webhook_url) resolving to public addresses only (SSRF rule, 400 webhook_url_private).
  @ApiProperty({ example: 'https://example.com/herald/webhooks' })
  @Allow()
  url: unknown;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['channel.occupied', 'channel.vacated'] })
  @Allow()
  events: unknown;

  @ApiPropertyOptional({ enum: WEBHOOK_FORMATS, description: "Herald's body and signature (the default), or Pusher's (docs/pusher.md)" })
  @Allow()
  format?: unknown;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional() @Allow() url?: unknown;
  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true }) @Allow() events?: unknown;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ enum: WEBHOOK_FORMATS }) @Allow() format?: unknown;
}

export class WebhookView {
  @ApiProperty() id: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true }) events: string[];
  @ApiProperty() enabled: boolean;
  @ApiProperty({ enum: WEBHOOK_FORMATS }) format: WebhookFormat;
  @ApiProperty() createdAt: string;

  static of(w: WebhookRecord): WebhookView {
    return Object.assign(new WebhookView(), { id: w.id, url: w.url, events: w.events, enabled: w.enabled, format: w.format, createdAt: w.createdAt.toISOString() });
  }
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({ description: 'Signing secret (HMAC-SHA256), shown here once', example: 'whsec_…' }) secret: string;
}

export class DeliveriesQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';

  @ApiPropertyOptional({ type: String, description: 'Created at or after (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, description: 'Created at or before (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ReplayRangeDto {
  @ApiPropertyOptional({ type: String, description: 'Failed deliveries created at or after (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, description: 'Failed deliveries created at or before (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class AttemptView {
  @ApiProperty() at: string;
  @ApiProperty() ok: boolean;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status answered; null on a timeout or connection error' }) statusCode: number | null;
  @ApiProperty() latencyMs: number;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
}

export class DeliveryView {
  @ApiProperty() id: string;
  @ApiProperty() webhookId: string;
  @ApiProperty({ type: [String] }) eventIds: string[];
  @ApiProperty({ type: [String] }) eventTypes: string[];
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty() replays: number;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: String, nullable: true }) lastAttemptAt: string | null;
  @ApiProperty({ description: 'The JSON body sent (parsed)' }) body: unknown;
  @ApiProperty({ type: [AttemptView], description: 'Every attempt, oldest first' }) attemptLog: AttemptView[];

  static of(d: DeliveryRecord & { attemptLog: AttemptRecord[] }): DeliveryView {
    return Object.assign(new DeliveryView(), {
      id: d.id,
      webhookId: d.webhookId,
      eventIds: d.eventIds,
      eventTypes: d.eventTypes,
      status: d.status,
      attempts: d.attempts,
      replays: d.replays,
      createdAt: d.createdAt.toISOString(),
      lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
      body: JSON.parse(d.body) as unknown,
      attemptLog: d.attemptLog.map((a) => ({ ...a, at: a.at.toISOString() })),
    });
  }
}

export class ReplayView {
  @ApiProperty({ description: 'Deliveries queued to be sent again' }) replayed: number;
}
