import { createHash } from 'node:crypto';
import type { HistoryResult } from '@herald/channels';
import type { HttpResponse } from '@herald/http';

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

/**
 * Sets the ETag of a history answer (no-cache: revalidate every time) and answers 304 with no body
 * (undefined) when If-None-Match already holds it; otherwise the result itself.
 */
export function answerHistory(
  appId: string,
  page: { limit: number; since?: number; before?: number },
  result: HistoryResult,
  ifNoneMatch: string | undefined,
  res: HttpResponse,
): HistoryResult | undefined {
  const etag = historyEtag({
    appId,
    channel: result.channel,
    epoch: result.epoch,
    top: result.offset,
    query: `limit=${page.limit}&since=${page.since ?? ''}&before=${page.before ?? ''}`,
    first: result.messages[0]?.offset,
    last: result.messages.at(-1)?.offset,
    count: result.messages.length,
  });
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'no-cache');
  if (!matchesIfNoneMatch(ifNoneMatch, etag)) return result;
  res.status(304);
  return undefined;
}
