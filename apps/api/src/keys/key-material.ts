import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { SecretBox, generateKey, keyDigest, type KeyKind } from '@herald/auth';
import type { KeyRecord, NewKey } from '@herald/db';

export interface IssuedKey {
  /** The plain value, to show once. */
  value: string;
  record: NewKey;
}

/**
 * How keys are stored: public keys as they are (plus digest), the secret only sealed under the master
 * key (plus digest), because it must stay usable for HMAC and token signing.
 */
@Injectable()
export class KeyMaterial {
  private readonly box: SecretBox;

  constructor(@Inject(CONFIG) config: HeraldConfig) {
    this.box = new SecretBox(config.masterKey);
  }

  issue(kind: KeyKind, appId: string, value = generateKey(kind)): IssuedKey {
    const digest = keyDigest(value);
    const record: NewKey = kind === 'secret' ? { kind, digest, secretCipher: this.box.seal(value, appId) } : { kind, digest, value };
    return { value, record };
  }

  /** The plain value of a stored key (public keys as stored; the secret decrypted). */
  reveal(key: KeyRecord): string {
    if (key.kind !== 'secret') return key.value ?? '';
    if (!key.secretCipher) throw new Error(`secret key ${key.id} has no ciphertext`);
    return this.box.open(key.secretCipher, key.appId);
  }
}
