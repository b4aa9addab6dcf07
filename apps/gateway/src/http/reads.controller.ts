import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { readLimit, readSince } from '@herald/protocol';
import { HttpConnectService } from './http-connect.js';
import { HistoryService, PresenceService } from '@herald/channels';
import type { AppContext } from '@herald/db';

/**
 * `GET /history?appkey&channel[&limit&since]` and `GET /herenow?appkey&channel[&limit]` on the
 * gateway, so a page talks to one host whatever its transport (the API serves the same reads).
 */
@Controller()
export class ReadsController {
  constructor(
    private readonly http: HttpConnectService,
    private readonly historyReads: HistoryService,
    private readonly presence: PresenceService,
  ) {}

  @Get('history')
  async history(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.answer(req, res, (ctx, q, userId) => this.historyReads.read(ctx, { userId, channel: q.get('channel') ?? '', limit: readLimit(q.get('limit')), since: readSince(q.get('since')), accessToken: q.get('token') ?? undefined }));
  }

  @Get('herenow')
  async hereNow(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.answer(req, res, (ctx, q, userId) => this.presence.hereNow(ctx, { userId, channel: q.get('channel') ?? '', limit: readLimit(q.get('limit')), accessToken: q.get('token') ?? undefined }));
  }

  private async answer(req: IncomingMessage, res: ServerResponse, read: (ctx: AppContext, q: URLSearchParams, userId?: string) => Promise<unknown>): Promise<void> {
    try {
      const { ctx, url, origin, user } = await this.http.authenticate(req);
      this.http.cors(res, origin);
      const body = JSON.stringify(await read(ctx, url.searchParams, user?.id));
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(body);
    } catch (e) {
      this.http.fail(req, res, e);
    }
  }
}
