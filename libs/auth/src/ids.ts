import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * CSPRNG bytes served from a pool refilled 4 KiB at a time: ids are drawn on every publish (message id,
 * epoch candidate) and a randomBytes call per id cost more than the bytes themselves.
 */
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;
function randomByte(): number {
  if (poolAt === POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  return POOL[poolAt++];
}

/** Uniform base62 string from a CSPRNG (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

/** Opaque, prefixed identifiers: `app_…`, `acc_…`, `key_…`. */
export function newId(prefix: 'app' | 'acc' | 'key' | 'ses'): string {
  return `${prefix}_${randomBase62(16)}`;
}

/** A channel history epoch: changes whenever a channel's history is lost. */
export function newEpoch(): string {
  return randomBase62(10);
}

/** Message ids generated for publishes that did not bring their own. */
export function newMessageId(): string {
  return randomBase62(20);
}
