import { ApiProperty } from '@nestjs/swagger';
import { REASONS, type Reason } from '@herald/protocol';

/** The one error shape (GoEasy's `{code, content}` plus a stable reason), for the OpenAPI document. */
export class ErrorView {
  @ApiProperty({ example: 400, description: 'Same as the HTTP status' })
  code: number;

  @ApiProperty({ example: 'Invalid channel name' })
  content: string;

  @ApiProperty({ enum: Object.keys(REASONS), example: 'invalid_channel' })
  reason: Reason;
}
