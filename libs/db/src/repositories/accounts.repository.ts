import { Injectable } from '@nestjs/common';
import { newId } from '@herald/auth';
import { PrismaService } from '../prisma.service.js';
import type { Account, AccountRole } from '../generated/prisma/client.js';

export interface AccountRecord {
  id: string;
  email: string;
  role: AccountRole;
  createdAt: Date;
}

function toRecord(a: Account): AccountRecord {
  return { id: a.id, email: a.email, role: a.role, createdAt: a.createdAt };
}

@Injectable()
export class AccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Returns undefined when the email is taken (unique index), so callers map it to email_taken. */
  async create(email: string, passwordHash: string, role: AccountRole = 'customer'): Promise<AccountRecord | undefined> {
    try {
      const a = await this.prisma.account.create({ data: { id: newId('acc'), email, passwordHash, role } });
      return toRecord(a);
    } catch (e) {
      if ((e as { code?: string }).code === 'P2002') return undefined;
      throw e;
    }
  }

  async findCredentials(email: string): Promise<(AccountRecord & { passwordHash: string }) | undefined> {
    const a = await this.prisma.account.findUnique({ where: { email } });
    return a ? { ...toRecord(a), passwordHash: a.passwordHash } : undefined;
  }

  async update(accountId: string, patch: { passwordHash?: string; role?: AccountRole }): Promise<AccountRecord | undefined> {
    const r = await this.prisma.account.updateMany({ where: { id: accountId }, data: patch });
    if (r.count === 0) return undefined;
    const a = await this.prisma.account.findUnique({ where: { id: accountId } });
    return a ? toRecord(a) : undefined;
  }

  async createSession(accountId: string, tokenDigest: string, expiresAt: Date): Promise<void> {
    await this.prisma.accountSession.create({ data: { id: newId('ses'), accountId, tokenDigest, expiresAt } });
  }

  async findBySessionDigest(tokenDigest: string, now: Date): Promise<AccountRecord | undefined> {
    const s = await this.prisma.accountSession.findUnique({ where: { tokenDigest }, include: { account: true } });
    if (!s || s.expiresAt <= now) return undefined;
    return toRecord(s.account);
  }

  async deleteSession(tokenDigest: string): Promise<void> {
    await this.prisma.accountSession.deleteMany({ where: { tokenDigest } });
  }
}
