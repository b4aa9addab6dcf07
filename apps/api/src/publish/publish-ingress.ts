import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@herald/config';
import { INVALID_JSON, assertBodyDepth, grantCors, logRequest, writeError, writeJson, type HttpRoute } from '@herald/http';
import { HARD_FRAME_LIMIT, HeraldError } from '@herald/protocol';
import { PublishService } from '@herald/publishing';
import { GatewayMetrics } from '@herald/observability';
import { API_LOGGER } from '../api-logger.js';
import { AppKeyGuard } from '../data-plane/app-key.guard.js';
import { bearerToken } from '../http/bearer.js';

/** The fields of a plain publish (PublishDto without the scheduling ones), with the DTO's type rules. */
const PLAIN_FIELDS: Record<string, (v: unknown) => boolean> = {
  channel: () => true,
  message: () => true,
  id: (v) => v == null || typeof v === 'string',
  accessToken: (v) => v == null || (typeof v === 'string' && v.length <= 4096),
  appkey: (v) => v == null || (typeof v === 'string' && v.length <= 200),
};

const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

interface PlainPublish {
  channel?: unknown;
  message?: unknown;
  id?: string | null;
  accessToken?: string | null;
  appkey?: string | null;
}

/** A plain publish body: an object of PLAIN_FIELDS only, each of its DTO type. */
function isPlain(body: unknown): body is PlainPublish {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  for (const k in body) {
    if (!Object.hasOwn(PLAIN_FIELDS, k) || !PLAIN_FIELDS[k]((body as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * `POST /v1/publish`, the hottest route, served before Express and Nest (serveBeforeFramework): their
 * router, body parsers, CORS, guard, ValidationPipe and response pipeline were half of the API's CPU per
 * publish (bench/findings.md). Only the plain request is served here — a JSON body of known fields of
 * the right types, its length given — with the same checks, use case, headers and error shape as the
 * framework's route (PublishController), which still answers everything else: a scheduled publish
 * (`delay`/`at`), an unknown field or a wrong type (the framework's validation message), another
 * content type, a body without a length. Those go on with the body already parsed.
 */
@Injectable()
export class PublishIngress implements HttpRoute {
  readonly path = '/v1/publish';

  constructor(
    private readonly keys: AppKeyGuard,
    private readonly publisher: PublishService,
    readonly metrics: GatewayMetrics,
    @Inject(API_LOGGER) readonly logger: Logger,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const length = Number(req.headers['content-length']);
    const type = req.headers['content-type'];
    if (req.method !== 'POST' || !(length > 0 && length <= HARD_FRAME_LIMIT) || !type || !JSON_TYPE.test(type)) return next();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void this.serve(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), next));
  }

  private async serve(req: IncomingMessage, res: ServerResponse, raw: Buffer, next: () => void): Promise<void> {
    let body: unknown;
    let refusal: HeraldError = new HeraldError('invalid_json', INVALID_JSON);
    try {
      assertBodyDepth(raw);
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      if (e instanceof HeraldError) refusal = e;
      body = undefined;
    }
    if (isPlain(body)) return this.publish(req, res, body);
    if (typeof body === 'object' && body !== null) {
      // An array, or an object the framework must judge; body-parser skips a request already read.
      (req as IncomingMessage & { body?: unknown }).body = body;
      return next();
    }
    // body-parser's strict JSON: only an object or an array is a body.
    logRequest(this.logger, req, res);
    grantCors(res, req.headers.origin);
    writeError(req, res, refusal, this);
  }

  private async publish(req: IncomingMessage, res: ServerResponse, body: PlainPublish): Promise<void> {
    logRequest(this.logger, req, res);
    grantCors(res, req.headers.origin);
    const url = req.url ?? '';
    const queryKey = url.includes('appkey=') ? (new URL(url, 'http://api').searchParams.get('appkey') ?? undefined) : undefined;
    try {
      const ctx = await this.keys.resolve(bearerToken(req) ?? body.appkey ?? queryKey, req.headers.origin);
      this.metrics.messageIn('rest');
      const result = await this.publisher.publish(ctx, { channel: body.channel, message: body.message, id: body.id ?? undefined, accessToken: body.accessToken ?? undefined });
      this.metrics.publishAccepted();
      writeJson(res, 200, result);
    } catch (e) {
      writeError(req, res, e, this);
    }
  }
}
