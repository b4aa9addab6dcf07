import { readCursor } from '../../protocol/src/cursor.js';
import type { Position } from './wire.js';

/**
 * Stream cursors, libs/protocol's format. The SDK writes one from its own positions when it opens an
 * SSE stream or a long-poll, so a client that changes transport or gateway resumes every channel
 * exactly where it stopped.
 */
export { encodeCursor } from '../../protocol/src/cursor.js';

/** Positions in a cursor the gateway sent; an unreadable cursor yields none (never throws). */
export function decodeCursor(cursor: string): Map<string, Position> {
  const read = readCursor(cursor);
  return typeof read === 'string' ? new Map() : read;
}
