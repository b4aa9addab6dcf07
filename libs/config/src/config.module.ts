import { Global, Module } from '@nestjs/common';
import { HeraldConfig, loadConfig } from './config.js';

/** Injection token for the validated configuration. */
export const CONFIG = Symbol('HERALD_CONFIG');

@Global()
@Module({
  providers: [{ provide: CONFIG, useFactory: (): HeraldConfig => loadConfig() }],
  exports: [CONFIG],
})
export class ConfigModule {}
