/** Pusher's cache channels: `cache-…`, `private-cache-…`, `private-encrypted-cache-…`, `presence-cache-…`. */
const CACHE_CHANNEL = /^(?:private-(?:encrypted-)?|presence-)?cache-/;

/** A cache channel keeps its last event for new subscribers (gateway) and for `info=cache` (HTTP API). */
export function isCacheChannel(channel: string): boolean {
  return CACHE_CHANNEL.test(channel);
}
