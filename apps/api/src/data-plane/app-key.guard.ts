import { CanActivate, ExecutionContext, Inject, Injectable, createParamDecorator } from '@nestjs/common';
import type { HttpRequest as Request } from '@herald/http';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import { KeyResolver, originAllowed, type AppContext } from '@herald/db';
import { bearerToken } from '../http/bearer.js';

export interface AppKeyRequest extends Request {
  appContext?: AppContext;
}

function field(source: unknown, name: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const v = (source as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Data-plane routes: the caller presents an app key (secret, common or subscribe) as a bearer token,
 * or, for GoEasy-style clients, as `appkey` in the body or query. What the key may do is decided by the
 * use case (e.g. PublishService refuses subscribe keys); this guard only establishes the tenant.
 */
@Injectable()
export class AppKeyGuard implements CanActivate {
  private readonly dashboardOrigin: string;

  constructor(
    private readonly resolver: KeyResolver,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.dashboardOrigin = new URL(config.publicApiUrl).origin;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AppKeyRequest>();
    req.appContext = await this.resolve(bearerToken(req) ?? field(req.body, 'appkey') ?? field(req.query, 'appkey'), req.get('origin'));
    return true;
  }

  /** The tenant of a presented key, refused when the request's Origin is not one of the app's. */
  async resolve(presented: string | undefined, origin: string | undefined): Promise<AppContext> {
    const ctx = await this.resolver.resolve(presented);
    if (origin !== undefined && !originAllowed(ctx.app, origin, this.dashboardOrigin)) {
      throw new HeraldError('origin_not_allowed', `Origin ${origin.slice(0, 100)} is not allowed for this app`);
    }
    return ctx;
  }
}

/** The app context AppKeyGuard resolved; only valid on guarded routes. */
export const CurrentApp = createParamDecorator((_data: unknown, ctx: ExecutionContext): AppContext => {
  const appContext = ctx.switchToHttp().getRequest<AppKeyRequest>().appContext;
  if (!appContext) throw new Error('CurrentApp used on a route without AppKeyGuard');
  return appContext;
});
