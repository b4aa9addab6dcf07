import { HeraldError } from './errors.js';

/** RFC 8030 §5.3 urgencies, lowest first. */
export const PUSH_URGENCIES = ['very-low', 'low', 'normal', 'high'] as const;
export type PushUrgency = (typeof PUSH_URGENCIES)[number];

/** `always`: every subscriber of the channel; `offline`: only those whose user has no live connection on it. */
export const PUSH_MODES = ['always', 'offline'] as const;
export type PushMode = (typeof PUSH_MODES)[number];

/**
 * A Web Push message is one aes128gcm record of at most 4096 bytes (RFC 8291 §4): 86 bytes of header
 * (salt, record size, key id length, the 65-byte sender key), 16 of tag and 1 padding delimiter leave
 * 3993 bytes for the JSON the service worker receives.
 */
export const PUSH_PAYLOAD_MAX_BYTES = 3993;
/** What push services keep a message at most (four weeks), and Herald's default (one day). */
export const PUSH_TTL_MAX_SECONDS = 2_419_200;
export const PUSH_TTL_DEFAULT_SECONDS = 86_400;

const TOPIC_RE = /^[A-Za-z0-9_-]{1,32}$/;
const TEXT_MAX = 1000;
const LINK_MAX = 2000;

/** A publish's push options, checked: what the worker needs to send it, with the payload already built. */
export interface PushSpec {
  /** The JSON text the service worker decrypts: `{title, body, icon, url, data, channel, id}`. */
  payload: string;
  ttl: number;
  urgency: PushUrgency;
  topic?: string;
  mode: PushMode;
}

/** The notification fields the payload carries (what `herald-sw.js` shows). */
export interface PushNotice {
  title: string;
  body: string;
  icon?: string;
  url?: string;
  data?: unknown;
}

function fail(detail: string): never {
  throw new HeraldError('invalid_push', detail);
}

function text(raw: unknown, name: string, required: boolean): string | undefined {
  if (raw === undefined || raw === null) {
    if (required) fail(`push.${name} is required (a string)`);
    return undefined;
  }
  if (typeof raw !== 'string') fail(`push.${name} must be a string`);
  if (raw.length > TEXT_MAX) fail(`push.${name} may be at most ${TEXT_MAX} characters`);
  return raw;
}

/** icon and url: an absolute http(s) URL or a path on the page's own origin (never `javascript:` and the like). */
function link(raw: unknown, name: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > LINK_MAX) fail(`push.${name} must be a URL of 1-${LINK_MAX} characters`);
  if (raw.startsWith('/') && !raw.startsWith('//')) return raw;
  let scheme: string;
  try {
    scheme = new URL(raw).protocol;
  } catch {
    fail(`push.${name} must be an http(s) URL or a path starting with /`);
  }
  if (scheme !== 'https:' && scheme !== 'http:') fail(`push.${name} must be an http(s) URL or a path starting with /`);
  return raw;
}

function integer(raw: unknown, name: string, min: number, max: number, def: number): number {
  if (raw === undefined || raw === null) return def;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) fail(`push.${name} must be an integer from ${min} to ${max}`);
  return raw;
}

function oneOf<T extends string>(raw: unknown, name: string, allowed: readonly T[], def: T): T {
  if (raw === undefined || raw === null) return def;
  if (!(allowed as readonly unknown[]).includes(raw)) fail(`${name} must be one of: ${allowed.join(', ')}`);
  return raw as T;
}

/** The bytes of a string in UTF-8 (TextEncoder: this library runs in browsers too). */
const encoder = new TextEncoder();
export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/**
 * The notification JSON a subscriber's service worker receives, at most PUSH_PAYLOAD_MAX_BYTES
 * (413 push_payload_too_large over it).
 */
export function pushPayload(notice: PushNotice, channel: string, id: string): string {
  const payload = JSON.stringify({ title: notice.title, body: notice.body, icon: notice.icon, url: notice.url, data: notice.data, channel, id });
  const size = utf8Length(payload);
  if (size > PUSH_PAYLOAD_MAX_BYTES) {
    throw new HeraldError('push_payload_too_large', `The push payload is ${size} bytes of JSON; one Web Push record holds ${PUSH_PAYLOAD_MAX_BYTES}`);
  }
  return payload;
}

/** Checks the notice fields of a push (title, body, icon, url, data). */
export function parsePushNotice(raw: Record<string, unknown>): PushNotice {
  const notice: PushNotice = { title: text(raw.title, 'title', true)!, body: text(raw.body, 'body', true)! };
  if (notice.title.length === 0) fail('push.title must not be empty');
  const icon = link(raw.icon, 'icon');
  const url = link(raw.url, 'url');
  if (icon !== undefined) notice.icon = icon;
  if (url !== undefined) notice.url = url;
  if (raw.data !== undefined) notice.data = raw.data;
  return notice;
}

const PUSH_FIELDS = new Set(['title', 'body', 'icon', 'url', 'data', 'ttl', 'urgency', 'topic']);

/**
 * A publish's `push` and `pushMode`, checked: unknown fields, wrong types and out-of-range values are
 * refused with 400 invalid_push; a payload over one Web Push record with 413 push_payload_too_large.
 * Returns undefined for a publish without push.
 */
export function parsePush(push: unknown, pushMode: unknown, channel: string, id: string): PushSpec | undefined {
  if (push === undefined || push === null) {
    if (pushMode !== undefined && pushMode !== null) fail('pushMode needs push');
    return undefined;
  }
  if (typeof push !== 'object' || Array.isArray(push)) fail('push must be an object {title, body, icon?, url?, data?, ttl?, urgency?, topic?}');
  const raw = push as Record<string, unknown>;
  const unknownField = Object.keys(raw).find((k) => !PUSH_FIELDS.has(k));
  if (unknownField !== undefined) fail(`push.${unknownField.slice(0, 40)} is not a push option`);
  const notice = parsePushNotice(raw);
  const spec: PushSpec = {
    payload: pushPayload(notice, channel, id),
    ttl: integer(raw.ttl, 'ttl', 0, PUSH_TTL_MAX_SECONDS, PUSH_TTL_DEFAULT_SECONDS),
    urgency: oneOf(raw.urgency, 'push.urgency', PUSH_URGENCIES, 'normal'),
    mode: oneOf(pushMode, 'pushMode', PUSH_MODES, 'always'),
  };
  if (raw.topic !== undefined && raw.topic !== null) {
    if (typeof raw.topic !== 'string' || !TOPIC_RE.test(raw.topic)) fail('push.topic must be 1-32 characters from A-Z a-z 0-9 _ - (RFC 8030 topic)');
    spec.topic = raw.topic;
  }
  return spec;
}
