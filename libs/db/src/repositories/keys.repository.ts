import { Injectable } from '@nestjs/common';
import { newId } from '@herald/auth';
import { PrismaService } from '../prisma.service.js';
import type { AppKey, KeyKind, KeyStatus } from '../generated/prisma/client.js';
import { AppRecord, toAppRecord } from './apps.repository.js';

export interface NewKey {
  kind: KeyKind;
  digest: string;
  /** Public keys only. */
  value?: string;
  /** Secrets only: the sealed secret (SecretBox). */
  secretCipher?: string;
}

export interface KeyRecord {
  id: string;
  appId: string;
  kind: KeyKind;
  status: KeyStatus;
  value: string | null;
  secretCipher: string | null;
  createdAt: Date;
  retiresAt: Date | null;
  revokedAt: Date | null;
}

function toRecord(k: AppKey): KeyRecord {
  return {
    id: k.id,
    appId: k.appId,
    kind: k.kind,
    status: k.status,
    value: k.value,
    secretCipher: k.secretCipher,
    createdAt: k.createdAt,
    retiresAt: k.retiresAt,
    revokedAt: k.revokedAt,
  };
}

/** App keys. Writes are scoped by app id; lookup by digest is how a presented key finds its tenant. */
@Injectable()
export class KeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(appId: string, keys: NewKey[]): Promise<void> {
    await this.prisma.appKey.createMany({ data: keys.map((k) => ({ ...k, id: newId('key'), appId })) });
  }

  async list(appId: string): Promise<KeyRecord[]> {
    const rows = await this.prisma.appKey.findMany({ where: { appId }, orderBy: [{ kind: 'asc' }, { createdAt: 'asc' }] });
    return rows.map(toRecord);
  }

  async findByDigest(digest: string): Promise<{ key: KeyRecord; app: AppRecord } | undefined> {
    const k = await this.prisma.appKey.findUnique({ where: { digest }, include: { app: { include: { plan: true } } } });
    return k ? { key: toRecord(k), app: toAppRecord(k.app) } : undefined;
  }

  /** The key of a kind that is active now (the newest, if a rotation is in its grace period). */
  async findActive(appId: string, kind: KeyKind): Promise<KeyRecord | undefined> {
    const k = await this.prisma.appKey.findFirst({ where: { appId, kind, status: 'active' }, orderBy: { createdAt: 'desc' } });
    return k ? toRecord(k) : undefined;
  }

  /**
   * Rotation: every active key of the kind starts retiring at `retiresAt`; the new key is active.
   * Returns the new key and how many keys started retiring.
   */
  async rotate(appId: string, key: NewKey, retiresAt: Date): Promise<{ key: KeyRecord; retired: number }> {
    const [retired, created] = await this.prisma.$transaction([
      this.prisma.appKey.updateMany({ where: { appId, kind: key.kind, status: 'active' }, data: { status: 'retiring', retiresAt } }),
      this.prisma.appKey.create({ data: { ...key, id: newId('key'), appId } }),
    ]);
    return { key: toRecord(created), retired: retired.count };
  }

  /**
   * Replaces every key of the kind at once, with no grace period (the demo seed pinning configured keys).
   * A digest held by another app fails on the unique index, so a key can never move between tenants.
   */
  async replace(appId: string, key: NewKey): Promise<KeyRecord> {
    const [, created] = await this.prisma.$transaction([
      this.prisma.appKey.deleteMany({ where: { appId, kind: key.kind } }),
      this.prisma.appKey.create({ data: { ...key, id: newId('key'), appId } }),
    ]);
    return toRecord(created);
  }

  /**
   * Whether each key may still be used at `now`, with its app's status — for gateways re-checking the
   * keys their live connections were opened with. Keys of deleted apps are simply absent.
   */
  async usable(keyIds: readonly string[], now: Date): Promise<Map<string, 'ok' | 'key_revoked' | 'key_expired' | 'app_suspended'>> {
    const rows = await this.prisma.appKey.findMany({
      where: { id: { in: [...keyIds] } },
      select: { id: true, status: true, retiresAt: true, app: { select: { status: true } } },
    });
    const out = new Map<string, 'ok' | 'key_revoked' | 'key_expired' | 'app_suspended'>();
    for (const k of rows) {
      if (k.status === 'revoked') out.set(k.id, 'key_revoked');
      else if (k.status === 'retiring' && (!k.retiresAt || k.retiresAt <= now)) out.set(k.id, 'key_expired');
      else if (k.app.status === 'suspended') out.set(k.id, 'app_suspended');
      else out.set(k.id, 'ok');
    }
    return out;
  }

  async revoke(appId: string, keyId: string, at: Date): Promise<KeyRecord | undefined> {
    const r = await this.prisma.appKey.updateMany({
      where: { id: keyId, appId, status: { not: 'revoked' } },
      data: { status: 'revoked', revokedAt: at },
    });
    if (r.count === 0) return undefined;
    const k = await this.prisma.appKey.findFirst({ where: { id: keyId, appId } });
    return k ? toRecord(k) : undefined;
  }
}
