import { Injectable } from '@nestjs/common';
import { assertChannel } from '@herald/protocol';
import { ChannelLog } from '@herald/bus';
import { AccessTokens, type AppContext } from '@herald/db';
import { parseFrames, type HistoryMessage } from './history-frames.js';

export interface HistoryQuery {
  channel: unknown;
  accessToken?: string;
  /** The reading connection's user id: a token naming a user binds to it. */
  userId?: string;
  limit: number;
  /** Messages after this offset (oldest first); omitted = the newest `limit`. */
  since?: number;
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

/** Reads a channel's history window (Redis): for the REST API, the GoEasy-compatible route and the gateway. */
@Injectable()
export class HistoryService {
  constructor(
    private readonly log: ChannelLog,
    private readonly access: AccessTokens,
  ) {}

  async read(ctx: AppContext, q: HistoryQuery, now = Date.now()): Promise<HistoryResult> {
    const channel = assertChannel(q.channel);
    await this.access.authorize(ctx, { channel, need: 'r', token: q.accessToken, userId: q.userId });
    const page = await this.log.history(ctx.app.id, channel, {
      limit: q.limit,
      since: q.since,
      minTime: now - ctx.app.historyTtlSeconds * 1000,
    });
    return { channel, epoch: page.epoch, offset: page.top, messages: parseFrames(page.frames) };
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
