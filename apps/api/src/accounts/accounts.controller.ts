import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { ClientAddresses, type HttpRequest as Request } from '@herald/http';
import type { AccountRecord } from '@herald/db';
import { bearerToken } from '../http/bearer.js';
import { ErrorView } from '../http/error.view.js';
import { AccountGuard, CurrentAccount, type AccountRequest } from './account.guard.js';
import { AccountsService, type Session } from './accounts.service.js';
import { AccountView, LoginDto, SessionView, SignupDto } from './accounts.dto.js';

function sessionView(s: Session): SessionView {
  return { account: AccountView.of(s.account), token: s.token };
}

@ApiTags('accounts')
@Controller('v1')
export class AccountsController {
  /** The per-address limits count by the client's address: behind a trusted proxy, not the proxy's (HERALD_TRUST_PROXY). */
  private readonly clients: ClientAddresses;

  constructor(
    private readonly accounts: AccountsService,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.clients = new ClientAddresses(config.trustProxy);
  }

  @Post('accounts')
  @ApiCreatedResponse({ type: SessionView, description: 'Account created and logged in' })
  @ApiConflictResponse({ type: ErrorView, description: 'email_taken' })
  @ApiTooManyRequestsResponse({ type: ErrorView, description: 'rate_limited: too many sign-ups from this address (Retry-After)' })
  @ApiServiceUnavailableResponse({ type: ErrorView, description: 'unavailable: too many password hashes in progress (Retry-After)' })
  async signup(@Body() dto: SignupDto, @Req() req: Request): Promise<SessionView> {
    return sessionView(await this.accounts.signup(dto.email, dto.password, this.clients.of(req)));
  }

  @Post('sessions')
  @ApiCreatedResponse({ type: SessionView })
  @ApiUnauthorizedResponse({ type: ErrorView, description: 'invalid_credentials' })
  @ApiTooManyRequestsResponse({ type: ErrorView, description: 'rate_limited: too many failed log-ins for the account, or attempts from the address (Retry-After)' })
  @ApiServiceUnavailableResponse({ type: ErrorView, description: 'unavailable: too many password hashes in progress (Retry-After)' })
  async login(@Body() dto: LoginDto, @Req() req: Request): Promise<SessionView> {
    return sessionView(await this.accounts.login(dto.email, dto.password, this.clients.of(req)));
  }

  @Delete('sessions/current')
  @HttpCode(204)
  @UseGuards(AccountGuard)
  @ApiBearerAuth('account')
  @ApiNoContentResponse({ description: 'Logged out: the token no longer works' })
  @ApiUnauthorizedResponse({ type: ErrorView })
  async logout(@Req() req: AccountRequest): Promise<void> {
    await this.accounts.logout(bearerToken(req)!);
  }

  @Get('me')
  @UseGuards(AccountGuard)
  @ApiBearerAuth('account')
  @ApiOkResponse({ type: AccountView })
  @ApiUnauthorizedResponse({ type: ErrorView })
  me(@CurrentAccount() account: AccountRecord): AccountView {
    return AccountView.of(account);
  }
}
