import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Options, Post, Req, Res } from '@nestjs/common';
import { PublishService } from '@herald/publishing';
import { HeraldError } from '@herald/protocol';
import { HttpConnectService } from './http-connect.js';
import { GatewayMetrics } from '@herald/observability';

/**
 * `POST /publish?appkey=…` `{channel, message, id?}` — publishing for clients on SSE or long-polling,
 * with the same key and Origin rules as a WebSocket publish.
 */
@Controller('publish')
export class GatewayPublishController {
  constructor(
    private readonly http: HttpConnectService,
    private readonly publisher: PublishService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Options()
  preflight(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.http.cors(res, req.headers.origin);
    res.writeHead(204, { 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' });
    res.end();
  }

  @Post()
  async publish(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown): Promise<void> {
    try {
      const { ctx, origin, user, url } = await this.http.authenticate(req);
      this.http.cors(res, origin);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HeraldError('invalid_request', 'Body must be a JSON object {channel, message, id?}');
      const { channel, message, id, accessToken } = body as Record<string, unknown>;
      this.metrics.messageIn(url.searchParams.get('transport') === 'poll' ? 'poll' : 'sse'); // SDK clients say which
      const result = await this.publisher.publish(ctx, { channel, message, id, accessToken: typeof accessToken === 'string' ? accessToken : undefined, userId: user?.id });
      this.metrics.publishAccepted();
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(result));
    } catch (e) {
      this.http.fail(req, res, e);
    }
  }
}
