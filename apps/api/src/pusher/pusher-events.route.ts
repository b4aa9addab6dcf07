import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig, type Logger } from '@herald/config';
import { logRequest, mapError, writeJson, type HttpRoute } from '@herald/http';
import { GatewayMetrics } from '@herald/observability';
import { HARD_FRAME_LIMIT, HeraldError, isValidChannel } from '@herald/protocol';
import { PublishService } from '@herald/publishing';
import { API_LOGGER } from '../api-logger.js';
import { PusherHttpError, PusherRequestAuth } from './pusher-request-auth.js';

/** `/apps/{app_id}/events`: Pusher's trigger (the rest of Pusher's HTTP API comes in later slices). */
const EVENTS_PATH = /^\/apps\/([^/]{1,64})\/events$/;
/** Pusher's limits on an event name and a socket id's shape. */
const MAX_EVENT_NAME = 200;
const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/;

interface TriggerBody {
  name: string;
  data: string;
  channels: string[];
  socket_id?: string;
}

/**
 * Pusher's HTTP trigger, served before the framework so the signature covers the body's exact bytes and
 * the answers are Pusher's (its status codes, plain-text errors): the one deliberate exception to
 * Herald's `{code, content, reason}` shape. Triggers are durable publishes through the same use case as
 * `/v1/publish`, one per channel, charged together: they share offsets, history and limits with Herald's.
 */
@Injectable()
export class PusherEventsRoute implements HttpRoute {
  /** Documentation only: the family of paths is `matches`'s. */
  readonly path = '/apps/{app_id}/events';

  constructor(
    private readonly auth: PusherRequestAuth,
    private readonly publisher: PublishService,
    readonly metrics: GatewayMetrics,
    @Inject(API_LOGGER) readonly logger: Logger,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  matches(pathname: string): boolean {
    return EVENTS_PATH.test(pathname);
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
    let appId: string;
    try {
      appId = decodeURIComponent(EVENTS_PATH.exec(url.pathname)![1]);
    } catch {
      throw new PusherHttpError(404, 'Unknown app');
    }
    if (req.method !== 'POST') throw new PusherHttpError(405, 'Method not allowed: POST only');
    const ctx = await this.auth.verify(appId, { method: 'POST', path: url.pathname, query: url.searchParams, body });
    const trigger = this.parse(body);
    this.metrics.messageIn('rest');
    const results = await this.publisher.publishBatch(
      ctx,
      trigger.channels.map((channel) => ({ channel, message: trigger.data, event: trigger.name, exclude: trigger.socket_id })),
    );
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw failed.error;
    for (let i = 0; i < results.length; i++) this.metrics.publishAccepted();
    writeJson(res, 200, {});
  }

  private parse(raw: Buffer): TriggerBody {
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new PusherHttpError(400, 'Request body is not valid JSON');
    }
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new PusherHttpError(400, 'Request body must be a JSON object');
    const { name, data, socket_id } = b;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_EVENT_NAME) throw new PusherHttpError(400, `name must be a string of 1-${MAX_EVENT_NAME} characters`);
    if (typeof data !== 'string') throw new PusherHttpError(400, 'data must be a string');
    const channels = b.channels ?? (b.channel === undefined ? undefined : [b.channel]);
    const max = this.config.pusher.maxTriggerChannels;
    if (!Array.isArray(channels) || channels.length === 0 || channels.length > max) throw new PusherHttpError(400, `channels must list 1-${max} channels`);
    for (const c of channels) if (!isValidChannel(c)) throw new PusherHttpError(400, `Invalid channel name ${JSON.stringify(String(c).slice(0, 40))}`);
    if (new Set(channels).size !== channels.length) throw new PusherHttpError(400, 'channels must not repeat a channel');
    if (socket_id !== undefined && (typeof socket_id !== 'string' || !SOCKET_ID.test(socket_id))) throw new PusherHttpError(400, 'Invalid socket_id');
    return { name, data, channels: channels as string[], socket_id };
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
      if (mapped.unexpected) this.logger.error({ err: e }, 'unhandled error in a Pusher trigger');
      if (e instanceof HeraldError && e.retryAfter !== undefined) res.setHeader('Retry-After', String(e.retryAfter));
    }
    if (res.headersSent) return;
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${text}\n`);
  }
}
