import { createHash } from 'node:crypto';

export interface TagInput {
  appId: string;
  channel: string;
  epoch: string;
  top: number;
  query: string;
  /** Offsets of the first and last message returned: they change when old messages expire. */
  first?: number;
  last?: number;
  count: number;
}

/**
 * A strong validator: within an epoch an offset always names the same bytes, so the app, channel,
 * epoch, top, query and the returned range identify the answer exactly.
 */
export function historyEtag(t: TagInput): string {
  const h = createHash('sha256')
    .update([t.appId, t.channel, t.epoch, t.top, t.query, t.first ?? '', t.last ?? '', t.count].join('\u0000'))
    .digest('base64url')
    .slice(0, 27);
  return `"${h}"`;
}

/** RFC 9110 If-None-Match: a list of tags or `*`, compared weakly. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}
