import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from './ids.js';

export type KeyKind = 'common' | 'subscribe' | 'secret';

const PREFIX: Record<Exclude<KeyKind, 'secret'>, string> = { common: 'BC-', subscribe: 'BS-' };

/**
 * Common (BC-) and subscribe (BS-) keys: public identifiers, 32 base62 characters (≈190 bits).
 * Secret: 32 hex characters (128 bits), like GoEasy's but twice as long.
 */
export function generateKey(kind: KeyKind): string {
  if (kind === 'secret') return randomBytes(16).toString('hex');
  return PREFIX[kind] + randomBase62(32);
}

const KEY_SHAPES: Record<KeyKind, RegExp> = {
  common: /^BC-[A-Za-z0-9]{16,64}$/,
  subscribe: /^BS-[A-Za-z0-9]{16,64}$/,
  secret: /^[A-Za-z0-9]{16,64}$/,
};

export function isKeyShape(kind: KeyKind, value: string): boolean {
  return KEY_SHAPES[kind].test(value);
}

/** The kind a presented key claims to be, from its shape (the database decides whether it is real). */
export function kindOfKey(value: string): KeyKind | undefined {
  if (value.startsWith('BC-')) return KEY_SHAPES.common.test(value) ? 'common' : undefined;
  if (value.startsWith('BS-')) return KEY_SHAPES.subscribe.test(value) ? 'subscribe' : undefined;
  return KEY_SHAPES.secret.test(value) ? 'secret' : undefined;
}

/** Keys are looked up by digest: the database index never sees a secret, and lookups do not leak by timing. */
export function keyDigest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (x.length !== y.length) {
    timingSafeEqual(x, x); // same work whatever the length
    return false;
  }
  return timingSafeEqual(x, y);
}
