import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { AccountRecord } from './accounts.repository.js';
import { toAppRecord, type AppRecord } from './apps.repository.js';

export interface AdminAccountRow extends AccountRecord {
  appIds: string[];
}

export interface AdminAppRow extends AppRecord {
  ownerEmail: string;
}

/**
 * System-wide reads and writes for admins: the one place apps are reached without their account id.
 * Only the admin controllers (behind AdminGuard) may use it; every customer path goes through
 * AppsRepository, whose queries cannot compile without the account.
 */
@Injectable()
export class AdminRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Accounts whose email contains `q` (case-insensitive), newest first. */
  async accounts(q: string | undefined, limit: number): Promise<AdminAccountRow[]> {
    const rows = await this.prisma.account.findMany({
      where: q ? { email: { contains: q, mode: 'insensitive' } } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: limit,
      select: { id: true, email: true, role: true, createdAt: true, apps: { select: { id: true } } },
    });
    return rows.map(({ apps, ...a }) => ({ ...a, appIds: apps.map((x) => x.id) }));
  }

  /** Apps whose id, name or owner email contains `q` (case-insensitive), newest first. */
  async apps(q: string | undefined, limit: number): Promise<AdminAppRow[]> {
    const where: Prisma.AppWhereInput = q
      ? { OR: [{ id: { contains: q, mode: 'insensitive' } }, { name: { contains: q, mode: 'insensitive' } }, { account: { email: { contains: q, mode: 'insensitive' } } }] }
      : {};
    const rows = await this.prisma.app.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: limit, include: { plan: true, account: { select: { email: true } } } });
    return rows.map((a) => ({ ...toAppRecord(a), ownerEmail: a.account.email }));
  }

  async app(appId: string): Promise<AdminAppRow | undefined> {
    const a = await this.prisma.app.findUnique({ where: { id: appId }, include: { plan: true, account: { select: { email: true } } } });
    return a ? { ...toAppRecord(a), ownerEmail: a.account.email } : undefined;
  }

  async suspend(appId: string, reason: string | null, at: Date): Promise<AdminAppRow | undefined> {
    const r = await this.prisma.app.updateMany({ where: { id: appId }, data: { status: 'suspended', suspendedReason: reason, suspendedAt: at } });
    return r.count > 0 ? this.app(appId) : undefined;
  }

  async resume(appId: string): Promise<AdminAppRow | undefined> {
    const r = await this.prisma.app.updateMany({ where: { id: appId }, data: { status: 'active', suspendedReason: null, suspendedAt: null } });
    return r.count > 0 ? this.app(appId) : undefined;
  }

  /**
   * Moves the app to another plan. A history override above the new plan's window is cleared (back to
   * the plan's), in the same transaction, so the stored setting never claims more than the plan allows.
   * undefined: no such app; 'no_plan': no such plan.
   */
  async changePlan(appId: string, planId: string): Promise<AdminAppRow | 'no_plan' | undefined> {
    const done = await this.prisma.$transaction(async (tx) => {
      const plan = await tx.plan.findUnique({ where: { id: planId } });
      if (!plan) return 'no_plan' as const;
      const app = await tx.app.findUnique({ where: { id: appId }, select: { historySize: true, historyTtlSeconds: true } });
      if (!app) return undefined;
      await tx.app.update({
        where: { id: appId },
        data: {
          planId,
          ...(app.historySize !== null && app.historySize > plan.historySize ? { historySize: null } : {}),
          ...(app.historyTtlSeconds !== null && app.historyTtlSeconds > plan.historyTtlSeconds ? { historyTtlSeconds: null } : {}),
        },
      });
      return 'ok' as const;
    });
    return done === 'ok' ? this.app(appId) : done;
  }
}
