import { Injectable } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';
import { newId, type KeyKind } from '@herald/auth';
import { AppsRepository, KeyResolver, type AppPatch, type AppRecord, type PlanLimits, type PlanOffer } from '@herald/db';
import { PushKeys } from '@herald/push';
import { KeyMaterial } from '../keys/key-material.js';

export interface CreateAppCommand {
  accountId: string;
  name: string;
  region?: string;
  planId: string;
  allowedOrigins: string[];
  historySize?: number;
  historyTtlSeconds?: number;
}

/** A history window above the plan's is refused (it would silently be capped otherwise). */
export function assertHistoryWithinPlan(plan: Pick<PlanLimits, 'id' | 'historySize' | 'historyTtlSeconds'>, w: { historySize?: number | null; historyTtlSeconds?: number | null }): void {
  if (typeof w.historySize === 'number' && w.historySize > plan.historySize) {
    throw new HeraldError('invalid_request', `historySize may be at most ${plan.historySize} on plan ${plan.id}`);
  }
  if (typeof w.historyTtlSeconds === 'number' && w.historyTtlSeconds > plan.historyTtlSeconds) {
    throw new HeraldError('invalid_request', `historyTtlSeconds may be at most ${plan.historyTtlSeconds} on plan ${plan.id}`);
  }
}

export interface CreatedApp {
  app: AppRecord;
  keys: Record<KeyKind, string>;
}

/** Apps of one account. Another account's app is reported as missing, never as forbidden. */
@Injectable()
export class AppsService {
  constructor(
    private readonly apps: AppsRepository,
    private readonly material: KeyMaterial,
    private readonly resolver: KeyResolver,
    private readonly push: PushKeys,
  ) {}

  async create(cmd: CreateAppCommand): Promise<CreatedApp> {
    const plan = await this.apps.findPlan(cmd.planId);
    if (!plan) throw new HeraldError('invalid_request', `Unknown plan ${JSON.stringify(cmd.planId)}`);
    if (!plan.selectable) throw new HeraldError('plan_not_selectable', `Plan ${JSON.stringify(plan.id)} is assigned by the operator; pick one of GET /v1/plans`);
    assertHistoryWithinPlan(plan, cmd);
    const id = newId('app');
    const issued = (['common', 'subscribe', 'secret'] as const).map((kind) => this.material.issue(kind, id));
    const app = await this.apps.createWithKeys(
      cmd.accountId,
      {
        id,
        name: cmd.name,
        region: cmd.region,
        planId: plan.id,
        allowedOrigins: [...new Set(cmd.allowedOrigins)],
        historySize: cmd.historySize,
        historyTtlSeconds: cmd.historyTtlSeconds,
        ...this.push.issue(id),
      },
      issued.map((k) => k.record),
    );
    const [common, subscribe, secret] = issued.map((k) => k.value);
    return { app, keys: { common, subscribe, secret } };
  }

  list(accountId: string): Promise<AppRecord[]> {
    return this.apps.list(accountId);
  }

  async get(accountId: string, appId: string): Promise<AppRecord> {
    const app = await this.apps.get(accountId, appId);
    if (!app) throw new HeraldError('app_not_found');
    return app;
  }

  /**
   * Changes the owner's settings. Gateways and other API processes pick them up for new connections and
   * requests within HERALD_KEY_CACHE_MS (their key cache); this process at once.
   */
  async update(accountId: string, appId: string, patch: Omit<AppPatch, 'planId'>): Promise<AppRecord> {
    const app = await this.get(accountId, appId);
    assertHistoryWithinPlan(app.plan, patch);
    const clean: AppPatch = {
      ...patch,
      ...(patch.allowedOrigins ? { allowedOrigins: [...new Set(patch.allowedOrigins)] } : {}),
      ...(patch.privatePrefixes ? { privatePrefixes: [...new Set(patch.privatePrefixes)] } : {}),
    };
    const updated = await this.apps.update(accountId, appId, clean);
    if (!updated) throw new HeraldError('app_not_found');
    this.resolver.forget();
    return updated;
  }

  /** The plans a customer may pick (the create-app form). */
  selectablePlans(): Promise<PlanOffer[]> {
    return this.apps.listPlans(true);
  }

  async delete(accountId: string, appId: string): Promise<void> {
    if (!(await this.apps.delete(accountId, appId))) throw new HeraldError('app_not_found');
    // Its keys are gone with it (cascade); cached resolutions must not outlive them here.
    this.resolver.forget();
  }
}
