import { Injectable } from '@nestjs/common';
import { HeraldError, assertChannel } from '@herald/protocol';
import { ChannelLog } from '@herald/bus';
import { AccessTokens, ArchiveRepository, type AppContext } from '@herald/db';
import { parseFrames, type HistoryMessage } from './history-frames.js';

export interface HistoryQuery {
  channel: unknown;
  accessToken?: string;
  /** The reading connection's user id: a token naming a user binds to it. */
  userId?: string;
  limit: number;
  /** Messages after this offset (oldest first); omitted = the newest `limit`. */
  since?: number;
  /** The newest `limit` messages before this offset (paging backwards); not with `since`. */
  before?: number;
}

export interface TimeRangeQuery {
  channel: unknown;
  accessToken?: string;
  limit: number;
  /** Publish-time bounds in ms, inclusive. */
  start?: number;
  end?: number;
}

export interface HistoryResult {
  channel: string;
  epoch: string;
  /** The channel's newest appended offset. */
  offset: number;
  messages: HistoryMessage[];
}

/**
 * Reads a channel's history: for the REST API, the GoEasy-compatible route and the gateway. The Redis
 * window answers first; what it no longer holds (older offsets of the same epoch) comes from the Postgres
 * archive, so paging backwards (`before`) or forwards (`since`) continues seamlessly past the window.
 */
@Injectable()
export class HistoryService {
  constructor(
    private readonly log: ChannelLog,
    private readonly access: AccessTokens,
    private readonly archive: ArchiveRepository,
  ) {}

  async read(ctx: AppContext, q: HistoryQuery, now = Date.now()): Promise<HistoryResult> {
    const channel = assertChannel(q.channel);
    assertOffset('since', q.since, 0);
    assertOffset('before', q.before, 1);
    await this.access.authorize(ctx, { channel, need: 'r', token: q.accessToken, userId: q.userId });
    const page = await this.log.history(ctx.app.id, channel, {
      limit: q.limit,
      since: q.since,
      before: q.since === undefined ? q.before : undefined,
      minTime: now - ctx.app.historyTtlSeconds * 1000,
    });
    let messages = parseFrames(page.frames);
    if (page.epoch) messages = await this.fillFromArchive(ctx.app.id, channel, page.epoch, page.top, messages, q);
    return { channel, epoch: page.epoch, offset: page.top, messages };
  }

  /** Adds the offsets below the window's oldest answer from the archive; all of one epoch, oldest first. */
  private async fillFromArchive(appId: string, channel: string, epoch: string, top: number, window: HistoryMessage[], q: HistoryQuery): Promise<HistoryMessage[]> {
    const toMessages = (rows: Awaited<ReturnType<ArchiveRepository['range']>>): HistoryMessage[] =>
      rows.map((r) => ({ channel: r.channel, id: r.messageId, time: r.publishedAt.getTime(), content: r.content, offset: r.offset, epoch: r.epoch, ...(r.event === null ? {} : { event: r.event }) }));
    if (q.since !== undefined) {
      const first = window[0]?.offset ?? top + 1;
      if (first <= q.since + 1) return window;
      const older = await this.archive.range(appId, channel, { epoch, from: q.since + 1, to: first - 1, limit: q.limit, newest: false });
      return [...toMessages(older), ...window].slice(0, q.limit);
    }
    if (window.length >= q.limit) return window;
    const upper = window[0]?.offset ?? Math.min(q.before ?? top + 1, top + 1);
    if (upper <= 1) return window;
    const older = await this.archive.range(appId, channel, { epoch, from: 1, to: upper - 1, limit: q.limit - window.length, newest: true });
    return [...toMessages(older), ...window];
  }

  /** The newest `limit` messages published within [start, end], newest first (GoEasy's order). */
  async byTime(ctx: AppContext, q: TimeRangeQuery, now = Date.now()): Promise<HistoryMessage[]> {
    // Time filters apply to publish time, which the stream is not indexed by: scan the whole window
    // (bounded by the plan, at most a few thousand entries) when a range is given.
    const ranged = q.start !== undefined || q.end !== undefined;
    const { messages } = await this.read(ctx, { channel: q.channel, accessToken: q.accessToken, limit: ranged ? Math.max(ctx.app.historySize, q.limit) : q.limit }, now);
    const start = q.start ?? 0;
    const end = q.end ?? Number.MAX_SAFE_INTEGER;
    return messages.filter((m) => m.time >= start && m.time <= end).reverse().slice(0, q.limit);
  }
}

/** An offset from a query (`since`, `before`): a safe integer from `min`, else 400 invalid_position. */
function assertOffset(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) throw new HeraldError('invalid_position', `${name} must be an offset (an integer from ${min})`);
}
