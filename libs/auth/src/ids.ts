import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 string from a CSPRNG (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
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
