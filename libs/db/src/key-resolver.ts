import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import { keyDigest, kindOfKey, type KeyKind } from '@herald/auth';
import { KeysRepository } from './repositories/keys.repository.js';
import type { AppRecord } from './repositories/apps.repository.js';

/** Who is calling: the app a presented key belongs to, and what that key may do. */
export interface AppContext {
  app: AppRecord;
  keyId: string;
  keyKind: KeyKind;
}

type Cached = { at: number; ctx?: AppContext; error?: HeraldError };
const MAX_CACHED = 10_000;

/**
 * Resolves a presented key (common, subscribe or secret) to its app, on every connection and publish.
 * Results — refusals included — are cached per digest for HERALD_KEY_CACHE_MS, so a flood of bad keys
 * costs one query per key per period; a revocation takes effect within that period.
 */
@Injectable()
export class KeyResolver {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly keys: KeysRepository,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  async resolve(presented: unknown, now = Date.now()): Promise<AppContext> {
    if (typeof presented !== 'string' || presented.length === 0) throw new HeraldError('unauthorized', 'An app key is required');
    if (!kindOfKey(presented)) throw new HeraldError('invalid_key');
    const digest = keyDigest(presented);
    let entry = this.cache.get(digest);
    if (!entry || now - entry.at >= this.config.keyCacheMs) entry = await this.lookupOnce(digest, now);
    if (entry.error) throw entry.error;
    const ctx = entry.ctx!;
    // A retiring key may pass its retirement while cached.
    const retiresAt = this.retirements.get(ctx.keyId);
    if (retiresAt !== undefined && retiresAt <= now) throw new HeraldError('key_expired');
    return ctx;
  }

  private readonly retirements = new Map<string, number>();
  /** Lookups under way, by digest: a reconnect storm brings thousands of connections with one key at once. */
  private readonly inflight = new Map<string, Promise<Cached>>();

  /** One database lookup for all the requests presenting a key while it is not (or no longer) cached. */
  private lookupOnce(digest: string, now: number): Promise<Cached> {
    let pending = this.inflight.get(digest);
    if (!pending) {
      pending = this.lookup(digest, now)
        .then((entry) => {
          if (this.cache.size >= MAX_CACHED) this.cache.clear();
          this.cache.set(digest, entry);
          return entry;
        })
        .finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, pending);
    }
    return pending;
  }

  /**
   * Runs the key lookup once for a key that does not exist, before the process takes traffic: the ORM's
   * first query loads and compiles its query engine (≈ 0.7 s of CPU on the development machine), which
   * otherwise blocks the event loop in the middle of the first burst of connections.
   */
  async warm(): Promise<void> {
    await this.keys.findByDigest('0'.repeat(64));
  }

  private async lookup(digest: string, now: number): Promise<Cached> {
    const found = await this.keys.findByDigest(digest);
    if (!found) return { at: now, error: new HeraldError('invalid_key') };
    const { key, app } = found;
    if (key.status === 'revoked') return { at: now, error: new HeraldError('key_revoked') };
    if (key.status === 'retiring') {
      if (!key.retiresAt || key.retiresAt.getTime() <= now) return { at: now, error: new HeraldError('key_expired') };
      this.retirements.set(key.id, key.retiresAt.getTime());
    }
    if (app.status === 'suspended') return { at: now, error: new HeraldError('app_suspended') };
    return { at: now, ctx: { app, keyId: key.id, keyKind: key.kind } };
  }

  /** Drops cached results, e.g. right after this process rotated or revoked a key. */
  forget(): void {
    this.cache.clear();
    this.retirements.clear();
    this.inflight.clear();
  }
}
