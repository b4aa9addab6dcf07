import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import { SecretBox, randomBase62 } from '@herald/auth';
import { EVENT_TYPES, isEventType } from '@herald/bus';
import { WebhookProducer } from '@herald/queue';
import { AppsRepository, WEBHOOK_FORMATS, WebhooksRepository, type DeliveryFilter, type WebhookFormat, type WebhookRecord } from '@herald/db';
import { assertPublicTarget, parseWebhookUrl } from './webhook-url.js';

export interface WebhookInput {
  url?: unknown;
  events?: unknown;
  enabled?: boolean;
  format?: unknown;
}

/**
 * Webhook configuration, delivery log and replay, for an app's owner. Every call names the account:
 * an app of another account is not found.
 */
@Injectable()
export class WebhooksService {
  private readonly box: SecretBox;

  constructor(
    private readonly apps: AppsRepository,
    private readonly repo: WebhooksRepository,
    private readonly producer: WebhookProducer,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.box = new SecretBox(config.masterKey);
  }

  async create(accountId: string, appId: string, input: WebhookInput): Promise<{ webhook: WebhookRecord; secret: string }> {
    await this.app(accountId, appId);
    const url = await this.checkUrl(input.url);
    const events = checkEvents(input.events);
    const secret = `whsec_${randomBase62(32)}`;
    const format = input.format === undefined ? undefined : checkFormat(input.format);
    const webhook = await this.repo.createCapped(appId, { id: `wh_${randomBase62(16)}`, url, events, secretCipher: this.box.seal(secret, appId), format });
    if ('cap' in webhook) throw new HeraldError('too_many_webhooks', `At most ${webhook.cap} webhooks per app on this plan`);
    return { webhook, secret };
  }

  async list(accountId: string, appId: string): Promise<WebhookRecord[]> {
    await this.app(accountId, appId);
    return this.repo.list(appId);
  }

  async get(accountId: string, appId: string, id: string): Promise<WebhookRecord> {
    await this.app(accountId, appId);
    const w = await this.repo.get(appId, id);
    if (!w) throw new HeraldError('webhook_not_found');
    return w;
  }

  async update(accountId: string, appId: string, id: string, input: WebhookInput): Promise<WebhookRecord> {
    await this.app(accountId, appId);
    const patch: Partial<Pick<WebhookRecord, 'url' | 'events' | 'enabled' | 'format'>> = {};
    if (input.url !== undefined) patch.url = await this.checkUrl(input.url);
    if (input.events !== undefined) patch.events = checkEvents(input.events);
    if (input.enabled !== undefined) patch.enabled = input.enabled;
    if (input.format !== undefined) patch.format = checkFormat(input.format);
    const w = await this.repo.update(appId, id, patch);
    if (!w) throw new HeraldError('webhook_not_found');
    return w;
  }

  /** Also drops its delivery log. */
  async delete(accountId: string, appId: string, id: string): Promise<void> {
    await this.app(accountId, appId);
    if (!(await this.repo.delete(appId, id))) throw new HeraldError('webhook_not_found');
  }

  async deliveries(accountId: string, appId: string, webhookId: string, filter: DeliveryFilter) {
    await this.get(accountId, appId, webhookId);
    return this.repo.deliveries(appId, webhookId, filter);
  }

  async delivery(accountId: string, appId: string, webhookId: string, deliveryId: string) {
    await this.app(accountId, appId);
    const d = await this.repo.delivery(appId, deliveryId);
    if (!d || d.webhookId !== webhookId) throw new HeraldError('delivery_not_found');
    return d;
  }

  /** Sends one delivery again, whatever its state: same body, same delivery and event ids, a fresh signature. */
  async replayOne(accountId: string, appId: string, webhookId: string, deliveryId: string): Promise<number> {
    await this.delivery(accountId, appId, webhookId, deliveryId);
    return this.enqueueReplays(await this.repo.markReplay(appId, { webhookId, deliveryId }), appId);
  }

  /** Sends every failed delivery of the webhook created within [from, to] again. */
  async replayFailed(accountId: string, appId: string, webhookId: string, range: { from?: Date; to?: Date }): Promise<number> {
    await this.get(accountId, appId, webhookId);
    return this.enqueueReplays(await this.repo.markReplay(appId, { webhookId, from: range.from, to: range.to }), appId);
  }

  private async enqueueReplays(marked: Array<{ id: string; webhookId: string; replays: number; body: string }>, appId: string): Promise<number> {
    await this.producer.enqueue(marked.map((m) => ({ appId, webhookId: m.webhookId, deliveryId: m.id, body: m.body, replay: m.replays })));
    return marked.length;
  }

  private async app(accountId: string, appId: string): Promise<void> {
    if (!(await this.apps.get(accountId, appId))) throw new HeraldError('app_not_found');
  }

  private async checkUrl(raw: unknown): Promise<string> {
    const url = parseWebhookUrl(raw);
    if (!this.config.webhooks.allowPrivate) await assertPublicTarget(url);
    return url.toString();
  }
}

function checkFormat(raw: unknown): WebhookFormat {
  if (!(WEBHOOK_FORMATS as readonly unknown[]).includes(raw)) throw new HeraldError('invalid_request', `format must be one of: ${WEBHOOK_FORMATS.join(', ')}`);
  return raw as WebhookFormat;
}

function checkEvents(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every(isEventType)) {
    throw new HeraldError('invalid_request', `events must be a non-empty list of: ${EVENT_TYPES.join(', ')}`);
  }
  return [...new Set(raw as string[])];
}
