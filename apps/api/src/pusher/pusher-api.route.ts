import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@herald/config';
import type { AppContext } from '@herald/db';
import { logRequest, mapError, writeJson, type HttpRoute } from '@herald/http';
import { GatewayMetrics } from '@herald/observability';
import { HARD_FRAME_LIMIT } from '@herald/protocol';
import { API_LOGGER } from '../api-logger.js';
import { PusherChannelQueries, assertPathChannel } from './pusher-channel-queries.js';
import { PusherHttpError, PusherRequestAuth } from './pusher-request-auth.js';
import { PusherTrigger } from './pusher-trigger.js';
import { PusherUsers } from './pusher-users.js';

/** `/apps/{app_id}/…`: Pusher's HTTP API. */
const APP_PATH = /^\/apps\/([^/]{1,64})(\/.*)$/;

/** A verified request: the app it acts on and its parts. */
interface PusherRequest {
  ctx: AppContext;
  /** The path's segments after `/apps/{app_id}`, decoded (the pattern's groups). */
  params: string[];
  query: URLSearchParams;
  body: Buffer;
}

interface Endpoint {
  method: 'GET' | 'POST';
  pattern: RegExp;
  serve: (r: PusherRequest) => Promise<unknown>;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new PusherHttpError(400, 'Malformed escape in the path');
  }
}

/**
 * Pusher's HTTP API (docs/pusher.md), served before the framework so the signature covers the body's
 * exact bytes and the answers are Pusher's (its status codes, plain-text errors): the one deliberate
 * exception to Herald's `{code, content, reason}` shape. The path is matched, then the request's
 * signature checked (PusherRequestAuth), then one endpoint serves it with the verified app's context.
 */
@Injectable()
export class PusherApiRoute implements HttpRoute {
  /** Documentation only: the family of paths is `matches`'s. */
  readonly path = '/apps/{app_id}/…';
  private readonly endpoints: readonly Endpoint[];

  constructor(
    private readonly auth: PusherRequestAuth,
    trigger: PusherTrigger,
    channels: PusherChannelQueries,
    users: PusherUsers,
    readonly metrics: GatewayMetrics,
    @Inject(API_LOGGER) readonly logger: Logger,
  ) {
    this.endpoints = [
      { method: 'POST', pattern: /^\/events$/, serve: (r) => trigger.events(r.ctx, r.body) },
      { method: 'POST', pattern: /^\/batch_events$/, serve: (r) => trigger.batch(r.ctx, r.body) },
      { method: 'GET', pattern: /^\/channels$/, serve: (r) => channels.list(r.ctx, r.query) },
      { method: 'GET', pattern: /^\/channels\/([^/]+)$/, serve: (r) => channels.channel(r.ctx, assertPathChannel(r.params[0]), r.query) },
      { method: 'GET', pattern: /^\/channels\/([^/]+)\/users$/, serve: (r) => channels.users(r.ctx, assertPathChannel(r.params[0])) },
      { method: 'POST', pattern: /^\/users\/([^/]+)\/terminate_connections$/, serve: (r) => users.terminate(r.ctx, r.params[0]) },
    ];
  }

  /**
   * Only Pusher's own paths: the dashboard's pages live under `/apps/{id}/…` too (keys, console, …) and
   * must reach the SPA's history-API fallback.
   */
  matches(pathname: string): boolean {
    const rest = APP_PATH.exec(pathname)?.[2];
    return rest !== undefined && this.endpoints.some((e) => e.pattern.test(rest));
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    logRequest(this.logger, req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= HARD_FRAME_LIMIT) chunks.push(c);
    });
    req.on('end', () => {
      if (size > HARD_FRAME_LIMIT) return this.refuse(res, new PusherHttpError(413, 'Request body too large'));
      this.serve(req, res, Buffer.concat(chunks)).catch((e: unknown) => this.refuse(res, e));
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api');
    const [, rawAppId, rest] = APP_PATH.exec(url.pathname)!;
    let appId: string;
    try {
      appId = decodeURIComponent(rawAppId);
    } catch {
      throw new PusherHttpError(404, 'Unknown app');
    }
    const routes = this.endpoints.filter((e) => e.pattern.test(rest)); // one at least: matches() said so
    const endpoint = routes.find((e) => e.method === req.method);
    if (!endpoint) throw new PusherHttpError(405, `Method not allowed: ${routes.map((e) => e.method).join(', ')} only`);
    const ctx = await this.auth.verify(appId, { method: endpoint.method, path: url.pathname, query: url.searchParams, body });
    const params = endpoint.pattern.exec(rest)!.slice(1).map(decode);
    writeJson(res, 200, await endpoint.serve({ ctx, params, query: url.searchParams, body }));
  }

  /** Pusher's answer to a refusal: its status and a plain-text body; Herald's errors keep their status. */
  private refuse(res: ServerResponse, e: unknown): void {
    let status: number;
    let text: string;
    if (e instanceof PusherHttpError) {
      status = e.status;
      text = e.message;
    } else {
      const mapped = mapError(e);
      status = mapped.status;
      text = mapped.body.content;
      this.metrics.error(mapped.body.reason);
      if (mapped.unexpected) this.logger.error({ err: e }, 'unhandled error in a Pusher API request');
      if (mapped.retryAfter !== undefined) res.setHeader('Retry-After', String(mapped.retryAfter));
    }
    if (res.headersSent) return;
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${text}\n`);
  }
}
