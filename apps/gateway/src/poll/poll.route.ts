import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import { HttpConnectService, flag } from '../http/http-connect.js';
import { PollTransport } from './poll-transport.js';
import type { HttpRoute } from '@herald/http';

/**
 * `GET /poll?appkey=…&channel=…[&cursor=…][&wait=ms]` — answers with every frame after the cursor at once, or
 * holds until one arrives (HERALD_POLL_HOLD_MS, 25 s by default) and answers `{cursor, frames}`.
 * The cursor travels with the client, so any gateway serves the next poll; nothing stays behind a
 * request that is answered, so a client that never returns costs nothing. Served before the framework
 * (serveBeforeFramework): one request per delivery.
 */
@Injectable()
export class PollRoute implements HttpRoute {
  readonly path = '/poll';

  constructor(
    private readonly core: SessionCore,
    private readonly http: HttpConnectService,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** `wait` (ms) shortens the hold; `wait=0` answers at once, e.g. to take a starting cursor. */
  private holdMs(url: URL): number {
    const wait = url.searchParams.get('wait');
    if (wait === null) return this.config.pollHoldMs;
    if (!/^\d{1,9}$/.test(wait)) throw new HeraldError('invalid_request', 'wait must be a number of milliseconds');
    return Math.min(Number(wait), this.config.pollHoldMs);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' || req.method === 'HEAD') void this.poll(req, res);
    else if (req.method === 'OPTIONS') this.preflight(req, res);
    else this.http.fail(req, res, new HeraldError('not_found', `Cannot ${req.method} /poll: use GET`));
  }

  private preflight(req: IncomingMessage, res: ServerResponse): void {
    this.http.cors(res, req.headers.origin);
    res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Max-Age': '600' });
    res.end();
  }

  private async poll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let release = () => {};
    try {
      if (!this.config.transports.has('poll')) throw new HeraldError('not_found', 'Long-polling is switched off on this gateway');
      const connect = await this.http.authenticate(req);
      const { ctx, url, origin } = connect;
      this.http.cors(res, origin);
      const items = this.http.subscribeItems(url, url.searchParams.get('cursor') ?? undefined);
      if (items.length > ctx.app.plan.maxChannelsPerConnection) {
        throw new HeraldError('too_many_channels', `At most ${ctx.app.plan.maxChannelsPerConnection} channels per connection on this plan`);
      }
      const hold = this.holdMs(url);
      // A membership would flap with every poll; presence members connect over WebSocket or SSE.
      if (items.some((i) => i.presence)) throw new HeraldError('invalid_request', 'Presence membership needs WebSocket or SSE; long-polling can read hereNow and presence events');
      const transport = new PollTransport();
      const session = this.core.open(await this.http.admit(connect), transport);
      release = () => this.core.closed(session);
      const gone = new Promise<void>((resolve) => req.on('close', () => resolve()));
      const failed = await this.core.subscribe(session, items);
      if (failed.length === items.length) throw failed[0];
      // Presence events during the hold only: between polls they are not kept (read hereNow to catch up).
      if (flag(url, 'presence_events')) for (const { channel, accessToken } of items) await this.core.watchPresence(session, channel, accessToken);
      await transport.waitForFrames(hold, gone);
      // Frames and cursor are read together, then the session ends, in one turn: nothing in between.
      const body = `{"cursor":${JSON.stringify(session.cursor())},"frames":[${transport.frames.join(',')}]}`;
      release();
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(body);
    } catch (e) {
      release();
      this.http.fail(req, res, e);
    }
  }
}
