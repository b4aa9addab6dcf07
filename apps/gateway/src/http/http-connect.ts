import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig, type Logger } from '@herald/config';
import { GATEWAY_EXPOSED, grantCors, writeError, type ErrorSink } from '@herald/http';
import { GatewayMetrics } from '@herald/observability';
import { HeraldError, assertChannel, decodeCursor, type Position, type SubscribeItem } from '@herald/protocol';
import { ConnectAuth, type Admitted, type Connect } from '../connect/connect-auth.js';

/** A boolean query parameter: `1` or `true`. */
export function flag(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v === '1' || v === 'true';
}

/**
 * `token` repeated, one per private channel: each is filed under the channel its payload names.
 * Nothing is trusted here — the session core verifies every token before it is used.
 */
export function tokensByChannel(url: URL): Map<string, string> {
  const out = new Map<string, string>();
  for (const token of url.searchParams.getAll('token')) {
    try {
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { channel?: unknown };
      if (typeof claims.channel === 'string') out.set(claims.channel, token);
    } catch {
      // unreadable: the channel it was meant for is refused with token_required
    }
  }
  return out;
}

/** What an SSE or long-poll request asks for, checked before any session exists. */
export interface HttpConnect extends Connect {
  url: URL;
  origin?: string;
}

/**
 * The HTTP transports' shared edge: key and Origin checked exactly as for WebSocket (ConnectAuth),
 * CORS answered, refusals written by the edge's error writer (libs/http) with their HTTP status before
 * anything streams.
 */
@Injectable()
export class HttpConnectService implements ErrorSink {
  readonly logger: Logger;

  constructor(
    private readonly auth: ConnectAuth,
    readonly metrics: GatewayMetrics,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway');
  }

  async authenticate(req: IncomingMessage): Promise<HttpConnect> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    return { ...(await this.auth.authenticate(url.searchParams, origin)), url, origin };
  }

  /** A slot for a request that opens a session (SSE, poll) — after every check that could refuse it. */
  admit(connect: Connect): Promise<Admitted> {
    return this.auth.admit(connect);
  }

  /**
   * `channel` repeated, positions from a cursor (Last-Event-ID / `lastEventId` / `cursor`), and
   * `presence=1` to join every channel's presence as a member.
   */
  subscribeItems(url: URL, cursor: string | undefined): SubscribeItem[] {
    const names = url.searchParams.getAll('channel');
    if (names.length === 0) throw new HeraldError('invalid_request', 'At least one channel query parameter is required');
    const positions: Map<string, Position> = cursor ? decodeCursor(cursor) : new Map();
    const unique = [...new Set(names.map((n) => assertChannel(n)))];
    const presence = flag(url, 'presence');
    const tokens = tokensByChannel(url);
    return unique.map((channel) => {
      const item: SubscribeItem = { channel };
      const since = positions.get(channel);
      if (since) item.since = since;
      if (presence) item.presence = true;
      const token = tokens.get(channel);
      if (token) item.accessToken = token;
      return item;
    });
  }

  cors(res: ServerResponse, origin: string | undefined): void {
    grantCors(res, origin, GATEWAY_EXPOSED);
  }

  /**
   * A refusal carries CORS headers (no data flows in it) so a page can read why it was refused and
   * when to retry — except an origin refusal, which grants that origin nothing.
   */
  fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    if (!res.headersSent) this.cors(res, typeof req.headers.origin === 'string' ? req.headers.origin : undefined);
    writeError(req, res, e, this);
  }
}
