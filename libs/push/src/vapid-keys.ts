import { createECDH } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { SecretBox } from '@herald/auth';
import { HeraldError } from '@herald/protocol';
import { PushRepository } from '@herald/db';

/** An app's VAPID key pair (RFC 8292), both unpadded base64url: the 65-byte public point, the 32-byte private scalar. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A fresh P-256 key pair. */
export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const priv = ecdh.getPrivateKey();
  // getPrivateKey drops leading zero bytes: VAPID wants the scalar as 32 bytes.
  const scalar = priv.length === 32 ? priv : Buffer.concat([Buffer.alloc(32 - priv.length), priv]);
  return { publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: scalar.toString('base64url') };
}

const MAX_CACHED_APPS = 10_000;

/**
 * VAPID keys per app. New apps get theirs at creation (`issue`); apps made before Web Push get theirs on
 * first use — a conditional write, so two processes doing it at once end up with one key pair. The
 * private key is sealed under the master key with the app id as associated data, like the app secret,
 * and opened only in the worker that signs with it; opened keys are cached for HERALD_KEY_CACHE_MS.
 */
@Injectable()
export class PushKeys {
  private readonly box: SecretBox;
  private readonly cache = new Map<string, { at: number; keys: VapidKeys }>();

  constructor(
    private readonly repo: PushRepository,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.box = new SecretBox(config.masterKey);
  }

  /** A new pair for an app being created: its public key and the sealed private key, as stored. */
  issue(appId: string): { vapidPublicKey: string; vapidPrivateCipher: string } {
    const k = generateVapidKeys();
    return { vapidPublicKey: k.publicKey, vapidPrivateCipher: this.box.seal(k.privateKey, appId) };
  }

  async publicKey(appId: string): Promise<string> {
    return (await this.keys(appId)).publicKey;
  }

  /** The app's pair, made on first use if it has none. */
  async keys(appId: string, now = Date.now()): Promise<VapidKeys> {
    const hit = this.cache.get(appId);
    if (hit && now - hit.at < this.config.keyCacheMs) return hit.keys;
    let stored = await this.repo.vapidKeys(appId);
    if (!stored) {
      const fresh = this.issue(appId);
      stored = await this.repo.setVapidKeysIfMissing(appId, fresh.vapidPublicKey, fresh.vapidPrivateCipher);
      if (!stored) throw new HeraldError('app_not_found');
    }
    const keys = { publicKey: stored.publicKey, privateKey: this.box.open(stored.privateCipher, appId) };
    if (this.cache.size >= MAX_CACHED_APPS) this.cache.clear();
    this.cache.set(appId, { at: now, keys });
    return keys;
  }
}
