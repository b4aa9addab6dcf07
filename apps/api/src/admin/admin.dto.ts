import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { AppView } from '../apps/apps.dto.js';

/** Admin list queries: a bound and a case-insensitive search (accounts by email; apps by id, name or owner email). */
export class AdminListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Only rows containing this, case-insensitive: accounts by email; apps by id, name or owner email', maxLength: 200 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class SuspendAppDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'Abuse report #42', description: 'Shown to the app’s owner' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ChangePlanDto {
  @ApiProperty({ example: 'pro', description: 'A plan id from GET /v1/admin/plans (any plan, selectable or not)' })
  @IsString()
  @Length(1, 100)
  planId: string;
}

export class AdminAccountView {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ['customer', 'admin'] }) role: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ description: 'How many apps the account owns' }) apps: number;
  @ApiProperty({ description: 'Publishes plus deliveries today (UTC), over all its apps' }) messagesToday: number;
}

export class AdminAppView extends AppView {
  @ApiProperty() ownerEmail: string;
  @ApiProperty({ description: 'Live connections now, on every gateway' }) connections: number;
  @ApiProperty({ description: 'Publishes plus deliveries today (UTC)' }) messagesToday: number;
}
