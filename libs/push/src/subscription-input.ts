import { createPublicKey } from 'node:crypto';
import { HeraldError, assertChannel } from '@herald/protocol';
import { assertPublicTarget } from '@herald/webhooks';

/** A browser's PushSubscription as `toJSON()` gives it, checked: keys as unpadded base64url. */
export interface CheckedSubscription {
  endpoint: string;
  p256dh: string;
  auth: string;
}

const ENDPOINT_MAX = 2000;
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function bad(detail: string): never {
  throw new HeraldError('invalid_push_subscription', detail);
}

function decode(raw: unknown, name: string): Buffer {
  if (typeof raw !== 'string' || raw.length > 200 || !B64URL.test(raw)) bad(`subscription.keys.${name} must be base64url text`);
  return Buffer.from(raw.replace(/=+$/, ''), 'base64url');
}

/** p256dh: an uncompressed P-256 point (0x04 ‖ x ‖ y, 65 bytes) that is on the curve. */
function checkP256dh(raw: unknown): string {
  const point = decode(raw, 'p256dh');
  if (point.length !== 65 || point[0] !== 0x04) bad('subscription.keys.p256dh must be a 65-byte uncompressed P-256 point');
  try {
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  } catch {
    bad('subscription.keys.p256dh is not a point on P-256');
  }
  return point.toString('base64url');
}

function checkAuth(raw: unknown): string {
  const secret = decode(raw, 'auth');
  if (secret.length !== 16) bad('subscription.keys.auth must be a 16-byte secret');
  return secret.toString('base64url');
}

/**
 * The endpoint: an https URL without credentials whose host resolves to public addresses only (the
 * webhooks' SSRF rule, since the worker will POST to it); `http:` and private hosts only with
 * HERALD_WEBHOOKS_ALLOW_PRIVATE=true (local push services in development and tests).
 */
async function checkEndpoint(raw: unknown, allowPrivate: boolean, resolve?: (host: string) => Promise<string[]>): Promise<string> {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > ENDPOINT_MAX) bad(`subscription.endpoint must be a URL of at most ${ENDPOINT_MAX} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    bad('subscription.endpoint is not a valid URL');
  }
  if (url.username || url.password) bad('subscription.endpoint must not carry credentials');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') bad('subscription.endpoint must be an https URL');
  if (allowPrivate) return url.toString();
  if (url.protocol !== 'https:') throw new HeraldError('push_endpoint_private', 'subscription.endpoint must use https');
  try {
    await assertPublicTarget(url, resolve);
  } catch (e) {
    const reason = (e as HeraldError).reason;
    if (reason === 'webhook_url_private') throw new HeraldError('push_endpoint_private', (e as Error).message.replace('Webhook host', 'Push endpoint host'));
    if (reason === 'invalid_webhook_url') bad((e as Error).message.replace('Webhook host', 'Push endpoint host'));
    throw e;
  }
  return url.toString();
}

/** Checks a PushSubscription (`{endpoint, keys: {p256dh, auth}}`): 400 invalid_push_subscription or push_endpoint_private. */
export async function checkSubscription(raw: unknown, allowPrivate: boolean, resolve?: (host: string) => Promise<string[]>): Promise<CheckedSubscription> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('subscription must be an object {endpoint, keys: {p256dh, auth}}');
  const s = raw as { endpoint?: unknown; keys?: unknown };
  const keys = s.keys;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) bad('subscription.keys must be an object {p256dh, auth}');
  const k = keys as { p256dh?: unknown; auth?: unknown };
  const p256dh = checkP256dh(k.p256dh);
  const auth = checkAuth(k.auth);
  return { endpoint: await checkEndpoint(s.endpoint, allowPrivate, resolve), p256dh, auth };
}

/** The channels of a subscription: 1..max valid names, duplicates dropped. */
export function checkChannels(raw: unknown, max: number): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new HeraldError('invalid_channel', 'channels must be a non-empty list of channel names');
  if (raw.length > max) bad(`At most ${max} channels per push subscription on this plan`);
  return [...new Set(raw.map((c) => assertChannel(c)))];
}
