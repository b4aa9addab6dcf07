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
import { dtoPredicate } from './dto-predicate.js';
import { PublishDto, FRAMEWORK_ONLY_FIELDS } from './publish.dto.js';

const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * A plain publish body: an object of PublishDto's fields (the scheduling ones aside), each passing the
 * DTO's own rules. Built from the DTO's metadata, never restated here (dto-predicate.ts).
 */
export const isPlainPublish = dtoPredicate(PublishDto, FRAMEWORK_ONLY_FIELDS);

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
    if (isPlainPublish(body)) return this.publish(req, res, body);
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

  /** `body` passed the DTO's rules, where IsOptional also lets null through: hence the `?? undefined`. */
  private async publish(req: IncomingMessage, res: ServerResponse, body: PublishDto): Promise<void> {
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
