import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { HeraldError } from './errors.js';
import { isValidChannel } from './channel.js';
import type { Position } from './frames.js';

/**
 * A stream's position in every channel it reads, carried by the client so that any gateway can serve
 * its next request: the SSE event `id:` (sent back as Last-Event-ID) and the long-poll `cursor`.
 * Format: `v1.` + base64url(JSON [[channel, epoch, offset], …]). Decoding checks every field and the
 * size, so a forged cursor can only name positions, never another app (the app comes from the key).
 * The SDK bundles this file too: it writes cursors from its positions and reads the gateway's.
 */
export const CURSOR_MAX_LENGTH = 64 * 1024;

export function encodeCursor(positions: Iterable<[channel: string, position: Position]>): string {
  // A channel still subscribing has no epoch yet: it has no position to carry.
  const list = [...positions].filter(([, p]) => p.epoch !== '').map(([c, p]) => [c, p.epoch, p.offset]);
  return `v1.${encodeBase64Url(JSON.stringify(list))}`;
}

/** The positions of a cursor, or why it is malformed (no exception, no error table: the SDK's reader). */
export function readCursor(text: string): Map<string, Position> | string {
  if (text.length > CURSOR_MAX_LENGTH) return 'too long';
  if (!text.startsWith('v1.')) return 'unknown version';
  let list: unknown;
  try {
    list = JSON.parse(decodeBase64Url(text.slice(3)));
  } catch {
    return 'not encoded by Herald';
  }
  if (!Array.isArray(list)) return 'not a list';
  const out = new Map<string, Position>();
  for (const item of list) {
    if (!Array.isArray(item) || item.length !== 3) return 'entries are [channel, epoch, offset]';
    const [channel, epoch, offset] = item as unknown[];
    if (!isValidChannel(channel)) return 'invalid channel name';
    if (typeof epoch !== 'string' || !/^[A-Za-z0-9]{1,32}$/.test(epoch)) return 'invalid epoch';
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return 'invalid offset';
    out.set(channel, { epoch, offset });
  }
  return out;
}

/** The positions of a cursor a client sent; a malformed one is 400 `invalid_position`. */
export function decodeCursor(text: string): Map<string, Position> {
  const read = readCursor(text);
  if (typeof read === 'string') throw new HeraldError('invalid_position', `Malformed cursor: ${read}`);
  return read;
}
