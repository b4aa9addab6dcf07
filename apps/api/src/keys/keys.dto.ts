import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import type { KeyKind } from '@herald/auth';

/** The longest grace a rotation may give the previous keys: 30 days. */
const MAX_GRACE_SECONDS = 30 * 86_400;

export const KEY_KINDS = ['common', 'subscribe', 'secret'] as const satisfies readonly KeyKind[];

/** Path parameters of the rotate route; declared together because the DTO is a whitelist. */
export class RotateParams {
  @ApiProperty()
  @IsString()
  appId: string;

  @ApiProperty({ enum: KEY_KINDS })
  @IsIn(KEY_KINDS)
  kind: KeyKind;
}

/** Optional body of a rotation. */
export class RotateDto {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_GRACE_SECONDS, description: 'How long the previous keys of the kind keep working, in seconds (0: they stop now). Default: HERALD_KEY_GRACE_MS (24 h)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_SECONDS)
  graceSeconds?: number;
}

export class KeyView {
  @ApiProperty({ example: 'key_8hQ2nV5xTb1LmZ0c' }) id: string;
  @ApiProperty({ enum: KEY_KINDS }) kind: KeyKind;
  @ApiProperty({ enum: ['active', 'retiring', 'revoked'] }) status: 'active' | 'retiring' | 'revoked';
  @ApiProperty({ type: String, nullable: true, description: 'The key; null for a secret (except once, right after rotation)' })
  value: string | null;
  @ApiProperty({ required: false, description: 'Secrets only: the last four characters', example: '••••3f9a' })
  masked?: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) retiresAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
}

export class RevealedSecretView {
  @ApiProperty({ description: 'The app secret: server side only, never in a web page' }) secret: string;
}

export class PreviousKeysView {
  @ApiProperty({ description: 'How many keys of this kind started retiring' }) count: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When they stop working' }) retiresAt: string | null;
}

export class RotatedKeyView {
  @ApiProperty({ type: KeyView, description: 'The new key, with its value (a secret is shown here once)' }) key: KeyView;
  @ApiProperty({ type: PreviousKeysView }) previous: PreviousKeysView;
}
