import { Injectable } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';
import { ScheduleProducer } from '@herald/queue';
import { AppLimits } from '@herald/bus';
import { AppsRepository, ScheduledRepository, type AppContext, type AppRecord, type ScheduledRecord } from '@herald/db';
import { PublishService, type PublishInput } from './publish.service.js';

export interface ScheduleInput extends PublishInput {
  /** Milliseconds from now. */
  delay?: unknown;
  /** Unix time in ms, or an ISO 8601 timestamp. */
  at?: unknown;
}

const APP_CACHE_MS = 1_000;

export type FireOutcome = 'published' | 'skipped' | 'failed';

/** Checks the time of a scheduled publish: in the future, within the plan's horizon. Returns it in ms. */
export function scheduledTime(input: { delay?: unknown; at?: unknown }, maxDelaySeconds: number, now: number): number {
  if (input.delay !== undefined && input.at !== undefined) throw new HeraldError('invalid_delay', 'Give either delay or at, not both');
  let at: number;
  if (input.delay !== undefined) {
    if (typeof input.delay !== 'number' || !Number.isSafeInteger(input.delay)) throw new HeraldError('invalid_delay', 'delay must be an integer number of milliseconds');
    at = now + input.delay;
  } else if (typeof input.at === 'number' && Number.isSafeInteger(input.at)) {
    at = input.at;
  } else if (typeof input.at === 'string' && !Number.isNaN(Date.parse(input.at))) {
    at = Date.parse(input.at);
  } else {
    throw new HeraldError('invalid_delay', 'at must be a Unix time in milliseconds or an ISO 8601 timestamp');
  }
  if (at <= now) throw new HeraldError('invalid_delay', `The scheduled time ${new Date(at).toISOString()} is in the past`);
  if (at - now > maxDelaySeconds * 1000) {
    throw new HeraldError('invalid_delay', `The plan allows scheduling at most ${maxDelaySeconds} s ahead; asked for ${Math.ceil((at - now) / 1000)} s`);
  }
  return at;
}

/**
 * Scheduled publishes: checked like any publish when scheduled (so a token valid now is enough), stored
 * as a row (the truth for its state) plus a delayed job (the timer). At its time the worker fires it
 * through the same publish use case with the message id as idempotency key: a job fired twice (a worker
 * killed mid-way) stores and delivers the message once.
 */
@Injectable()
export class ScheduledPublishService {
  constructor(
    private readonly publisher: PublishService,
    private readonly rows: ScheduledRepository,
    private readonly producer: ScheduleProducer,
    private readonly apps: AppsRepository,
    private readonly limits: AppLimits,
  ) {}

  async schedule(ctx: AppContext, input: ScheduleInput, now = Date.now()): Promise<{ record: ScheduledRecord; duplicate: boolean }> {
    const at = scheduledTime(input, ctx.app.plan.maxScheduleDelaySeconds, now);
    const p = await this.publisher.prepare(ctx, input);
    // The row keeps the content only: a push would be silently lost at its time, so it is refused now.
    if (p.push !== undefined) throw new HeraldError('invalid_push', 'push cannot be combined with delay or at yet');
    const existing = await this.rows.get(ctx.app.id, p.messageId);
    if (existing) {
      if (existing.channel !== p.channel) throw new HeraldError('message_id_conflict', `Message id ${p.messageId} was already used on channel ${existing.channel}`);
      // A retried call: make sure its job exists (re-adding an existing job id is a no-op).
      if (existing.status === 'scheduled') await this.producer.schedule({ appId: ctx.app.id, messageId: p.messageId }, existing.channel, existing.at.getTime(), now);
      return { record: existing, duplicate: true };
    }
    // Charged first, like any publish (the plan's rate and daily quota; not again when it fires): a flood
    // is refused by Redis alone, before it costs Postgres anything, and no row of a refused call is ever
    // visible to the cap count of another. A call refused by the cap after its charge counts, as a
    // publish refused after its charge does.
    await this.limits.chargePublish(ctx.app.id, ctx.app.plan, now);
    const cap = ctx.app.plan.maxScheduledPending;
    const record = await this.rows.createWithinCap(ctx.app.id, { id: p.messageId, channel: p.channel, content: p.content, at: new Date(at) }, cap);
    if (!record) throw new HeraldError('too_many_scheduled', `At most ${cap} scheduled messages waiting on this plan; cancel some or wait for them to be published`);
    try {
      await this.producer.schedule({ appId: ctx.app.id, messageId: p.messageId }, p.channel, at, now);
    } catch (e) {
      await this.rows.remove(ctx.app.id, p.messageId).catch(() => undefined);
      throw e;
    }
    return { record, duplicate: false };
  }

  list(ctx: AppContext, q: { status?: ScheduledRecord['status']; limit: number }): Promise<ScheduledRecord[]> {
    return this.rows.list(ctx.app.id, q);
  }

  async get(ctx: AppContext, id: string): Promise<ScheduledRecord> {
    const r = await this.rows.get(ctx.app.id, id);
    if (!r) throw new HeraldError('scheduled_not_found');
    return r;
  }

  async cancel(ctx: AppContext, id: string): Promise<void> {
    const r = await this.get(ctx, id);
    if (!(await this.rows.cancel(ctx.app.id, id))) {
      const current = await this.get(ctx, id);
      throw new HeraldError('not_cancellable', `The scheduled message is ${current.status}`);
    }
    // The row is what a firing job checks; removing the job (in its channel's queue) only saves it the trip.
    await this.producer.unschedule(ctx.app.id, r.channel, id);
  }

  /**
   * Called by the worker at the message's time. Throws only for what a retry can fix (rate limit, Redis
   * or Postgres down); anything else marks the row failed.
   */
  async fire(appId: string, messageId: string, now = Date.now()): Promise<FireOutcome> {
    const row = await this.rows.claim(appId, messageId);
    if (!row) return 'skipped';
    const app = await this.appOf(appId, now);
    if (!app || app.status !== 'active') {
      await this.rows.failed(appId, messageId, app ? 'app suspended' : 'app deleted');
      return 'failed';
    }
    try {
      const r = await this.publisher.publishPrepaid(app, { channel: row.channel, messageId, content: row.content }, now);
      await this.rows.published(appId, messageId, { offset: r.offset, epoch: r.epoch, at: new Date(now) });
      return 'published';
    } catch (e) {
      if (e instanceof HeraldError && e.code !== 429 && e.code < 500) {
        await this.rows.failed(appId, messageId, `${e.reason}: ${e.message}`);
        return 'failed';
      }
      throw e;
    }
  }

  /** Apps looked up for firing, cached briefly: a burst of one app's messages due at once costs one query. */
  private readonly appCache = new Map<string, { at: number; app: AppRecord | undefined }>();

  private async appOf(appId: string, now: number): Promise<AppRecord | undefined> {
    const hit = this.appCache.get(appId);
    if (hit && now - hit.at < APP_CACHE_MS) return hit.app;
    const app = await this.apps.findForSystem(appId);
    if (this.appCache.size >= 10_000) this.appCache.clear();
    this.appCache.set(appId, { at: now, app });
    return app;
  }

  /** Rows still waiting after `graceMs` past their time (their job lost): re-adds their jobs (no-op when they exist). */
  async requeueOverdue(graceMs: number, now = Date.now()): Promise<number> {
    const rows = await this.rows.overdue(new Date(now - graceMs));
    for (const r of rows) await this.producer.schedule({ appId: r.appId, messageId: r.id }, r.channel, now, now);
    return rows.length;
  }
}
