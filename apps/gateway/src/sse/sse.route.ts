import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError, closeCodeFor } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import { HttpConnectService, flag } from '../http/http-connect.js';
import { SseTransport } from './sse-transport.js';
import type { HttpRoute } from '@herald/http';

const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * `GET /sse?appkey=…&channel=a&channel=b` — one event stream for many channels, resumable on any
 * gateway through Last-Event-ID (header, or `lastEventId` query for clients that cannot set it).
 * With `id`/`data` (who the client is), `presence=1` joins every channel's presence; with
 * `presence_events=1` the stream carries the channels' presence events. Served before the framework
 * (serveBeforeFramework).
 */
@Injectable()
export class SseRoute implements HttpRoute {
  readonly path = '/sse';

  constructor(
    private readonly core: SessionCore,
    private readonly http: HttpConnectService,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' || req.method === 'HEAD') void this.stream(req, res);
    else if (req.method === 'OPTIONS') this.preflight(req, res);
    else this.http.fail(req, res, new HeraldError('not_found', `Cannot ${req.method} /sse: use GET (publish with POST /publish)`));
  }

  private preflight(req: IncomingMessage, res: ServerResponse): void {
    this.http.cors(res, req.headers.origin);
    res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Last-Event-ID, Cache-Control', 'Access-Control-Max-Age': '600' });
    res.end();
  }

  private async stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!this.config.transports.has('sse')) throw new HeraldError('not_found', 'SSE is switched off on this gateway');
      const connect = await this.http.authenticate(req);
      const { ctx, url, origin } = connect;
      this.http.cors(res, origin);
      const header = req.headers['last-event-id'];
      const cursor = (typeof header === 'string' && header !== '' ? header : undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
      const items = this.http.subscribeItems(url, cursor);
      if (items.length > ctx.app.plan.maxChannelsPerConnection) {
        throw new HeraldError('too_many_channels', `At most ${ctx.app.plan.maxChannelsPerConnection} channels per connection on this plan`);
      }
      const admitted = await this.http.admit(connect); // the last refusal that can still be an HTTP status
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
      });
      res.write(`retry: ${this.config.sseRetryMs}\n\n`);
      res.socket?.setNoDelay(true);
      const transport = new SseTransport(res, this.config.sseHeartbeatMs, MAX_BUFFERED_BYTES);
      const session = this.core.open(admitted, transport);
      transport.attach(session);
      req.on('close', () => this.core.closed(session));
      const failed = await this.core.subscribe(session, items);
      if (failed.length === items.length) {
        // Nothing to stream: end it (the client saw each channel's error event) instead of idling on a slot.
        this.core.disconnect(session, closeCodeFor(failed[0].reason), `${failed[0].reason}: ${failed[0].message}`);
        return;
      }
      if (flag(url, 'presence_events')) for (const { channel, accessToken } of items) await this.core.watchPresence(session, channel, accessToken);
    } catch (e) {
      this.http.fail(req, res, e);
    }
  }
}
