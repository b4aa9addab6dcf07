import type { Provider } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig, type Logger } from '@herald/config';

/** The API process's pino logger; request logs and unexpected errors go through it. */
export const API_LOGGER = Symbol('API_LOGGER');

export const apiLoggerProvider: Provider = {
  provide: API_LOGGER,
  inject: [CONFIG],
  useFactory: (config: HeraldConfig): Logger => createLogger(config, 'api'),
};
