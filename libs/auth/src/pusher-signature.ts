import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `text` with `secret`: every Pusher signature (channel auth, HTTP API, webhooks). */
export function pusherHmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/**
 * Whether `presented` is the signature of `text` under one of the app's usable secrets (two during a
 * rotation). Compared in constant time, so the answer's timing says nothing about how much matched.
 */
export function pusherSignatureValid(secrets: readonly string[], text: string, presented: string): boolean {
  const given = Buffer.from(presented, 'utf8');
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(pusherHmac(secret, text), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}
