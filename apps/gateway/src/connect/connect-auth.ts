import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { KeyResolver, type AppContext } from '@herald/db';
import { HeraldError, type PresenceMember } from '@herald/protocol';
import { assertUserId, parsePresenceData } from '@herald/bus';

/** An accepted connection: its app and key, and who the client said it is (GoEasy's connect({id, data})). */
export interface Connect {
  ctx: AppContext;
  user?: PresenceMember;
}

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

  /** `params`: the request's query — `appkey`, and optional `id` and `data` (a JSON object). */
  async authenticate(params: URLSearchParams, origin: string | undefined): Promise<Connect> {
    const ctx = await this.keys.resolve(params.get('appkey') ?? undefined);
    if (origin !== undefined && !this.originAllowed(ctx, origin)) {
      throw new HeraldError('origin_not_allowed', `Origin ${origin.slice(0, 100)} is not allowed for this app`);
    }
    const id = params.get('id');
    if (id === null || id === '') return { ctx };
    return { ctx, user: { id: assertUserId(id), data: parsePresenceData(params.get('data') ?? undefined) } };
  }

  private originAllowed(ctx: AppContext, origin: string): boolean {
    const { app } = ctx;
    if (app.plan.anyOrigin || app.allowedOrigins.length === 0) return true;
    const o = origin.toLowerCase();
    return o === this.dashboardOrigin || app.allowedOrigins.some((a) => a.toLowerCase() === o);
  }
}
