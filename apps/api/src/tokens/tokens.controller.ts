import { Body, Controller, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiForbiddenResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError, assertChannel } from '@herald/protocol';
import { SecretBox, signAccessToken } from '@herald/auth';
import { assertUserId } from '@herald/bus';
import { KeysRepository, type AppContext } from '@herald/db';
import { AppKeyGuard, CurrentApp } from '../data-plane/app-key.guard.js';
import { ErrorView } from '../http/error.view.js';
import { CreateTokenDto, TokenView } from './tokens.dto.js';

/**
 * Mints access tokens for private channels. Only a caller holding the secret may: the token is signed
 * with it. Servers with their own JWT library can sign the same claims themselves (docs/security.md).
 */
@ApiTags('tokens')
@ApiBearerAuth('appKey')
@UseGuards(AppKeyGuard)
@Controller('v1/tokens')
export class TokensController {
  private readonly box: SecretBox;

  constructor(
    private readonly keys: KeysRepository,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.box = new SecretBox(config.masterKey);
  }

  @Post()
  @ApiCreatedResponse({ type: TokenView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid_channel, invalid_request' })
  @ApiUnauthorizedResponse({ type: ErrorView })
  @ApiForbiddenResponse({ type: ErrorView, description: 'forbidden: only the secret key mints tokens' })
  async create(@CurrentApp() ctx: AppContext, @Body() dto: CreateTokenDto): Promise<TokenView> {
    if (ctx.keyKind !== 'secret') throw new HeraldError('forbidden', 'Only the secret key may mint access tokens');
    const channel = assertChannel(dto.channel);
    const secret = await this.keys.findActive(ctx.app.id, 'secret');
    if (!secret?.secretCipher) throw new HeraldError('forbidden', 'The app has no active secret');
    const exp = Math.floor(Date.now() / 1000) + (dto.ttlSeconds ?? 3600);
    const token = await signAccessToken(this.box.open(secret.secretCipher, ctx.app.id), {
      channel,
      r: dto.r ?? true,
      w: dto.w ?? false,
      exp,
      ...(dto.id !== undefined ? { id: assertUserId(dto.id) } : {}),
    });
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }
}
