import { HeraldError } from './errors.js';

const CHANNEL_RE = /^[A-Za-z0-9_\-=@,.;:!/]{1,164}$/;
export const PRIVATE_PREFIX = 'private-';
export const PRESENCE_PREFIX = 'presence-';

/**
 * Channel names: 1–164 characters from A–Z a–z 0–9 _ - = @ , . ; : ! / (DESIGN section 10; `/` since
 * MQTT, whose topics are channels: `devices/42/telemetry`). MQTT's wildcards `+` and `#` are never in a name.
 */
export const CHANNEL_CHARACTERS = 'A-Z a-z 0-9 _ - = @ , . ; : ! /';
export function isValidChannel(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_RE.test(name);
}

export function assertChannel(name: unknown): string {
  if (!isValidChannel(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : typeof name;
    throw new HeraldError('invalid_channel', `Invalid channel name ${shown}: 1-164 characters from ${CHANNEL_CHARACTERS}`);
  }
  return name;
}

export function isPrivateChannel(name: string, prefixes: readonly string[] = [PRIVATE_PREFIX]): boolean {
  return prefixes.some((p) => name.startsWith(p));
}

/** Message ids double as idempotency keys and BullMQ job ids: a safe, bounded alphabet. */
const MESSAGE_ID_RE = /^[A-Za-z0-9_\-.~]{1,64}$/;

export function assertMessageId(id: unknown): string {
  if (typeof id !== 'string' || !MESSAGE_ID_RE.test(id)) {
    throw new HeraldError('invalid_message_id', 'Message id must be 1-64 characters from A-Z a-z 0-9 _ - . ~');
  }
  return id;
}
