import { Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { DeadLetters, type DeadLetter } from '@herald/bus';
import { HeraldError } from '@herald/protocol';
import { ErrorView } from '../http/error.view.js';
import { AdminGuard } from './admin.guard.js';

export class DeadLetterQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class DeadLetterView implements DeadLetter {
  @ApiProperty({ description: 'Id of the parked entry' }) id!: string;
  @ApiProperty({ example: 'archive', description: 'The stream it was read from' }) source!: string;
  @ApiProperty({ description: 'Its id in that stream' }) sourceId!: string;
  @ApiPropertyOptional() appId?: string;
  @ApiProperty({ description: 'The last failure' }) error!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ description: 'Epoch ms' }) parkedAt!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'The entry as it was in its stream' }) fields!: Record<string, string>;
}

export class DeadLetterListView {
  @ApiProperty({ description: 'Entries parked in all' }) total!: number;
  @ApiProperty({ type: [DeadLetterView], description: 'Newest first' }) entries!: DeadLetterView[];
}

/**
 * Entries the worker's stream consumers (archive, webhook events) gave up on after
 * HERALD_STREAM_MAX_ATTEMPTS failures: to read, replay once the cause is fixed, or drop.
 */
@ApiTags('admin')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView, description: 'unauthorized: no or an expired session' })
@ApiForbiddenResponse({ type: ErrorView, description: 'forbidden: the account is not an admin' })
@UseGuards(AdminGuard)
@Controller('v1/admin/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetters) {}

  @Get()
  @ApiOkResponse({ type: DeadLetterListView })
  async list(@Query() q: DeadLetterQueryDto): Promise<DeadLetterListView> {
    const [total, entries] = await Promise.all([this.deadLetters.count(), this.deadLetters.list(q.limit ?? 100)]);
    return { total, entries };
  }

  @Post(':id/replay')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Appended again to its stream, and removed from the dead letters' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'not_found' })
  async replay(@Param('id') id: string): Promise<void> {
    if (!isEntryId(id) || !(await this.deadLetters.replay(id))) throw new HeraldError('not_found', 'No such dead letter');
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Dropped' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'not_found' })
  async drop(@Param('id') id: string): Promise<void> {
    if (!isEntryId(id) || !(await this.deadLetters.drop(id))) throw new HeraldError('not_found', 'No such dead letter');
  }
}

/** A Redis stream entry id; anything else would make Redis answer an error (a 5xx) instead of 404. */
function isEntryId(id: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(id);
}
