import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import type { HttpRequest as Request } from '@herald/http';
import type { AccountRecord } from '@herald/db';
import { bearerToken } from '../http/bearer.js';
import { AccountsService } from './accounts.service.js';

export interface AccountRequest extends Request {
  account?: AccountRecord;
}

/** Management-plane routes: resolves `Authorization: Bearer hs_…` to the logged-in account. */
@Injectable()
export class AccountGuard implements CanActivate {
  constructor(private readonly accounts: AccountsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AccountRequest>();
    req.account = await this.accounts.authenticate(bearerToken(req));
    return true;
  }
}

/** The account AccountGuard resolved; only valid on guarded routes. */
export const CurrentAccount = createParamDecorator((_data: unknown, ctx: ExecutionContext): AccountRecord => {
  const account = ctx.switchToHttp().getRequest<AccountRequest>().account;
  if (!account) throw new Error('CurrentAccount used on a route without AccountGuard');
  return account;
});
