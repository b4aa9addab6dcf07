import { Injectable } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';
import { newId, type KeyKind } from '@herald/auth';
import { AppsRepository, KeyResolver, type AppRecord } from '@herald/db';
import { KeyMaterial } from '../keys/key-material.js';

export interface CreateAppCommand {
  accountId: string;
  name: string;
  planId: string;
  allowedOrigins: string[];
  historySize?: number;
  historyTtlSeconds?: number;
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
  ) {}

  async create(cmd: CreateAppCommand): Promise<CreatedApp> {
    const plan = await this.apps.findPlan(cmd.planId);
    if (!plan) throw new HeraldError('invalid_request', `Unknown plan ${JSON.stringify(cmd.planId)}`);
    if (cmd.historySize !== undefined && cmd.historySize > plan.historySize) {
      throw new HeraldError('invalid_request', `historySize may be at most ${plan.historySize} on plan ${plan.id}`);
    }
    if (cmd.historyTtlSeconds !== undefined && cmd.historyTtlSeconds > plan.historyTtlSeconds) {
      throw new HeraldError('invalid_request', `historyTtlSeconds may be at most ${plan.historyTtlSeconds} on plan ${plan.id}`);
    }
    const id = newId('app');
    const issued = (['common', 'subscribe', 'secret'] as const).map((kind) => this.material.issue(kind, id));
    const app = await this.apps.createWithKeys(
      cmd.accountId,
      {
        id,
        name: cmd.name,
        planId: plan.id,
        allowedOrigins: [...new Set(cmd.allowedOrigins)],
        historySize: cmd.historySize,
        historyTtlSeconds: cmd.historyTtlSeconds,
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

  async delete(accountId: string, appId: string): Promise<void> {
    if (!(await this.apps.delete(accountId, appId))) throw new HeraldError('app_not_found');
    // Its keys are gone with it (cascade); cached resolutions must not outlive them here.
    this.resolver.forget();
  }
}
