import { HeraldError } from './errors.js';
import { isValidChannel } from './channel.js';
import type { Position } from './frames.js';

/**
 * A stream's position in every channel it reads, carried by the client so that any gateway can serve
 * its next request: the SSE event `id:` (sent back as Last-Event-ID) and the long-poll `cursor`.
 * Format: `v1.` + base64url(JSON [[channel, epoch, offset], …]). Decoding checks every field and the
 * size, so a forged cursor can only name positions, never another app (the app comes from the key).
 */
export const CURSOR_MAX_LENGTH = 64 * 1024;

export function encodeCursor(positions: Iterable<[channel: string, position: Position]>): string {
  // A channel still subscribing has no epoch yet: it has no position to carry.
  const list = [...positions].filter(([, p]) => p.epoch !== '').map(([c, p]) => [c, p.epoch, p.offset]);
  return `v1.${Buffer.from(JSON.stringify(list), 'utf8').toString('base64url')}`;
}

export function decodeCursor(text: string): Map<string, Position> {
  const bad = (why: string) => new HeraldError('invalid_position', `Malformed cursor: ${why}`);
  if (text.length > CURSOR_MAX_LENGTH) throw bad('too long');
  if (!text.startsWith('v1.')) throw bad('unknown version');
  let list: unknown;
  try {
    list = JSON.parse(Buffer.from(text.slice(3), 'base64url').toString('utf8'));
  } catch {
    throw bad('not encoded by Herald');
  }
  if (!Array.isArray(list)) throw bad('not a list');
  const out = new Map<string, Position>();
  for (const item of list) {
    if (!Array.isArray(item) || item.length !== 3) throw bad('entries are [channel, epoch, offset]');
    const [channel, epoch, offset] = item as unknown[];
    if (!isValidChannel(channel)) throw bad('invalid channel name');
    if (typeof epoch !== 'string' || !/^[A-Za-z0-9]{1,32}$/.test(epoch)) throw bad('invalid epoch');
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw bad('invalid offset');
    out.set(channel, { epoch, offset });
  }
  return out;
}
