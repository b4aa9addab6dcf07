import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import type { KeyKind } from '@herald/auth';
import { AppsRepository, KeyResolver, KeysRepository, type KeyRecord } from '@herald/db';
import { KeyMaterial } from './key-material.js';

/** A key as the owner sees it; `plain` is set only where the value may be shown. */
export interface KeyInfo {
  record: KeyRecord;
  plain: string | null;
  last4?: string;
}

export interface Rotation {
  key: KeyInfo;
  retired: number;
  retiresAt: Date | null;
}

/** Listing, revealing, rotating and revoking an app's keys, always through the owning account. */
@Injectable()
export class KeysService {
  constructor(
    private readonly apps: AppsRepository,
    private readonly keys: KeysRepository,
    private readonly material: KeyMaterial,
    private readonly resolver: KeyResolver,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  async list(accountId: string, appId: string): Promise<KeyInfo[]> {
    await this.ownedApp(accountId, appId);
    return (await this.keys.list(appId)).map((k) => this.info(k));
  }

  async revealSecret(accountId: string, appId: string): Promise<string> {
    await this.ownedApp(accountId, appId);
    const key = await this.keys.findActive(appId, 'secret');
    if (!key) throw new HeraldError('not_found', 'The app has no active secret; rotate it to issue one');
    return this.material.reveal(key);
  }

  /** The previous keys of the kind keep working for graceMs (default: HERALD_KEY_GRACE_MS). */
  async rotate(accountId: string, appId: string, kind: KeyKind, graceMs = this.config.keyGraceMs, now = Date.now()): Promise<Rotation> {
    await this.ownedApp(accountId, appId);
    const issued = this.material.issue(kind, appId);
    const retiresAt = new Date(now + graceMs);
    const { key, retired } = await this.keys.rotate(appId, issued.record, retiresAt);
    this.resolver.forget();
    return { key: { record: key, plain: issued.value, last4: kind === 'secret' ? issued.value.slice(-4) : undefined }, retired, retiresAt: retired > 0 ? retiresAt : null };
  }

  async revoke(accountId: string, appId: string, keyId: string, now = new Date()): Promise<KeyInfo> {
    await this.ownedApp(accountId, appId);
    const revoked = await this.keys.revoke(appId, keyId, now);
    this.resolver.forget();
    // Revoking twice answers the revoked key again rather than a confusing 404.
    const key = revoked ?? (await this.keys.list(appId)).find((k) => k.id === keyId);
    if (!key) throw new HeraldError('not_found', 'Key not found');
    return this.info(key);
  }

  private info(key: KeyRecord): KeyInfo {
    if (key.kind !== 'secret') return { record: key, plain: key.value };
    // A secret sealed under another master key must not take the whole listing down.
    let last4 = '';
    try {
      last4 = this.material.reveal(key).slice(-4);
    } catch {
      /* shown as •••• only */
    }
    return { record: key, plain: null, last4 };
  }

  private async ownedApp(accountId: string, appId: string): Promise<void> {
    if (!(await this.apps.get(accountId, appId))) throw new HeraldError('app_not_found');
  }
}
