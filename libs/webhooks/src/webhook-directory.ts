import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { SecretBox } from '@herald/auth';
import { WebhooksRepository, type WebhookFormat, type WebhookRecord } from '@herald/db';

export interface ActiveWebhook {
  id: string;
  appId: string;
  url: string;
  events: ReadonlySet<string>;
  secret: string;
  format: WebhookFormat;
}

const MAX_CACHED_APPS = 10_000;

/**
 * The enabled webhooks of each app with their secrets opened, cached for HERALD_WEBHOOK_CACHE_MS (a change
 * in the API reaches the worker within it). Misses are cached too: most apps have no webhook.
 */
@Injectable()
export class WebhookDirectory {
  private readonly cache = new Map<string, { at: number; hooks: ActiveWebhook[] }>();
  private readonly box: SecretBox;

  constructor(
    private readonly repo: WebhooksRepository,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.box = new SecretBox(config.masterKey);
  }

  async ofApp(appId: string, now = Date.now()): Promise<ActiveWebhook[]> {
    const hit = this.cache.get(appId);
    if (hit && now - hit.at < this.config.webhooks.cacheMs) return hit.hooks;
    const hooks = (await this.repo.listEnabled(appId)).map((w) => this.open(w));
    if (this.cache.size >= MAX_CACHED_APPS) this.cache.clear();
    this.cache.set(appId, { at: now, hooks });
    return hooks;
  }

  async get(appId: string, webhookId: string, now = Date.now()): Promise<ActiveWebhook | undefined> {
    return (await this.ofApp(appId, now)).find((h) => h.id === webhookId);
  }

  private open(w: WebhookRecord): ActiveWebhook {
    return { id: w.id, appId: w.appId, url: w.url, events: new Set(w.events), secret: this.box.open(w.secretCipher, w.appId), format: w.format };
  }
}
