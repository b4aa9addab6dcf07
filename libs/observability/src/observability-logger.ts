import type { Provider } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig, type Logger } from '@herald/config';

export type AppName = 'api' | 'gateway' | 'worker';

/** The app this process is; labels metrics and names log lines of the observability lib. */
export const OBSERVED_APP = Symbol('HERALD_OBSERVED_APP');
export const OBSERVABILITY_LOGGER = Symbol('HERALD_OBSERVABILITY_LOGGER');

export function observabilityProviders(app: AppName): Provider[] {
  return [
    { provide: OBSERVED_APP, useValue: app },
    {
      provide: OBSERVABILITY_LOGGER,
      inject: [CONFIG],
      useFactory: (config: HeraldConfig): Logger => createLogger(config, app).child({ component: 'ops' }),
    },
  ];
}
