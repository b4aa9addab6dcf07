import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';
import { bearerToken } from '../http/bearer.js';
import { AccountsService } from '../accounts/accounts.service.js';
import type { AccountRequest } from '../accounts/account.guard.js';

/**
 * Admin routes: a valid session (else 401 unauthorized) of an account with the admin role (else 403
 * forbidden). Sets the account like AccountGuard, so CurrentAccount works behind it.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly accounts: AccountsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AccountRequest>();
    const account = await this.accounts.authenticate(bearerToken(req));
    if (account.role !== 'admin') throw new HeraldError('forbidden', 'This needs an admin account');
    req.account = account;
    return true;
  }
}
