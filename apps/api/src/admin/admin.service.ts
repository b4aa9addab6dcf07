import { Injectable } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';
import { AppLimits, type Usage } from '@herald/bus';
import { AdminRepository, AppsRepository, KeyResolver, type AdminAccountRow, type AdminAppRow, type PlanOffer } from '@herald/db';

export interface AccountOverview extends AdminAccountRow {
  messagesToday: number;
}

export interface AppOverview extends AdminAppRow {
  connections: number;
  messagesToday: number;
}

/**
 * Operator actions on any tenant. Suspension is a status in Postgres: this process forgets its cached
 * keys at once, other API processes and gateways refuse the app's keys within HERALD_KEY_CACHE_MS, and
 * every gateway's key audit closes its live connections (4403 app_suspended) within HERALD_KEY_RECHECK_MS.
 */
@Injectable()
export class AdminService {
  constructor(
    private readonly repo: AdminRepository,
    private readonly limits: AppLimits,
    private readonly resolver: KeyResolver,
    private readonly appsRepo: AppsRepository,
  ) {}

  /** Every plan, those only an operator assigns (demo, custom) included. */
  plans(): Promise<PlanOffer[]> {
    return this.appsRepo.listPlans(false);
  }

  async accounts(q: string | undefined, limit: number): Promise<AccountOverview[]> {
    const rows = await this.repo.accounts(q || undefined, limit);
    const usage = await this.usageOf(rows.flatMap((r) => r.appIds));
    return rows.map((r) => ({ ...r, messagesToday: r.appIds.reduce((sum, id) => sum + (usage.get(id)?.messagesToday ?? 0), 0) }));
  }

  async apps(q: string | undefined, limit: number): Promise<AppOverview[]> {
    const rows = await this.repo.apps(q || undefined, limit);
    const usage = await this.usageOf(rows.map((r) => r.id));
    return rows.map((r) => ({ ...r, connections: usage.get(r.id)?.connections ?? 0, messagesToday: usage.get(r.id)?.messagesToday ?? 0 }));
  }

  async suspend(appId: string, reason: string | undefined): Promise<AdminAppRow> {
    const app = await this.repo.suspend(appId, reason || null, new Date());
    if (!app) throw new HeraldError('app_not_found');
    this.resolver.forget();
    return app;
  }

  async resume(appId: string): Promise<AdminAppRow> {
    const app = await this.repo.resume(appId);
    if (!app) throw new HeraldError('app_not_found');
    this.resolver.forget();
    return app;
  }

  async changePlan(appId: string, planId: string): Promise<AdminAppRow> {
    const app = await this.repo.changePlan(appId, planId);
    if (app === 'no_plan') throw new HeraldError('invalid_request', `Unknown plan ${JSON.stringify(planId)}`);
    if (!app) throw new HeraldError('app_not_found');
    this.resolver.forget();
    return app;
  }

  /** The live Redis counters of these apps, read concurrently (the connection pipelines them). */
  private async usageOf(appIds: readonly string[]): Promise<Map<string, Usage>> {
    const now = Date.now();
    const all = await Promise.all(appIds.map(async (id) => [id, await this.limits.usage(id, now)] as const));
    return new Map(all);
  }
}
