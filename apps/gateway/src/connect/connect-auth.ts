import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { KeyResolver, type AppContext } from '@herald/db';
import { HeraldError } from '@herald/protocol';

/**
 * Checked before a connection exists, whatever the transport: the app key (every connection) and the
 * Origin. An app with no allowed origins — or on a plan allowing any — takes any origin; a request
 * without an Origin header (servers, native apps) follows the key rules alone; the dashboard's own
 * origin is always allowed.
 */
@Injectable()
export class ConnectAuth {
  private readonly dashboardOrigin: string;

  constructor(
    private readonly keys: KeyResolver,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.dashboardOrigin = new URL(config.publicApiUrl).origin;
  }

  async authenticate(appkey: string | null, origin: string | undefined): Promise<AppContext> {
    const ctx = await this.keys.resolve(appkey ?? undefined);
    if (origin !== undefined && !this.originAllowed(ctx, origin)) {
      throw new HeraldError('origin_not_allowed', `Origin ${origin.slice(0, 100)} is not allowed for this app`);
    }
    return ctx;
  }

  private originAllowed(ctx: AppContext, origin: string): boolean {
    const { app } = ctx;
    if (app.plan.anyOrigin || app.allowedOrigins.length === 0) return true;
    const o = origin.toLowerCase();
    return o === this.dashboardOrigin || app.allowedOrigins.some((a) => a.toLowerCase() === o);
  }
}
