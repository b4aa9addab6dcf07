import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AccountRecord } from '@herald/db';
import { AccountGuard, CurrentAccount } from '../accounts/account.guard.js';
import { ErrorView } from '../http/error.view.js';
import { RotateDto, RotateParams, KeyView, RevealedSecretView, RotatedKeyView } from './keys.dto.js';
import { KeysService, type KeyInfo } from './keys.service.js';

function keyView(k: KeyInfo): KeyView {
  const r = k.record;
  const view: KeyView = {
    id: r.id,
    kind: r.kind,
    status: r.status,
    value: k.plain,
    createdAt: r.createdAt.toISOString(),
    retiresAt: r.retiresAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
  if (k.last4 !== undefined) view.masked = `••••${k.last4}`;
  return view;
}

@ApiTags('keys')
@ApiBearerAuth('account')
@ApiUnauthorizedResponse({ type: ErrorView })
@ApiNotFoundResponse({ type: ErrorView, description: 'app_not_found (also for another account’s app)' })
@UseGuards(AccountGuard)
@Controller('v1/apps/:appId/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @ApiOkResponse({ type: [KeyView], description: 'Every key, retiring and revoked included; secrets masked' })
  async list(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string): Promise<KeyView[]> {
    return (await this.keys.list(account.id, appId)).map(keyView);
  }

  @Post('secret/reveal')
  @HttpCode(200)
  @ApiOkResponse({ type: RevealedSecretView })
  async reveal(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string): Promise<RevealedSecretView> {
    return { secret: await this.keys.revealSecret(account.id, appId) };
  }

  @Post(':kind/rotate')
  @ApiCreatedResponse({ type: RotatedKeyView, description: 'Old keys of the kind keep working until previous.retiresAt' })
  @ApiBadRequestResponse({ type: ErrorView })
  async rotate(@CurrentAccount() account: AccountRecord, @Param() params: RotateParams, @Body() dto: RotateDto): Promise<RotatedKeyView> {
    const r = await this.keys.rotate(account.id, params.appId, params.kind, dto.graceSeconds === undefined ? undefined : dto.graceSeconds * 1000);
    return { key: keyView(r.key), previous: { count: r.retired, retiresAt: r.retiresAt?.toISOString() ?? null } };
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  @ApiOkResponse({ type: KeyView, description: 'Refused at once (within the key cache period on other processes)' })
  async revoke(@CurrentAccount() account: AccountRecord, @Param('appId') appId: string, @Param('keyId') keyId: string): Promise<KeyView> {
    return keyView(await this.keys.revoke(account.id, appId, keyId));
  }
}
