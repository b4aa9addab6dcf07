import type { AppContext, AppRecord } from '@herald/db';

/**
 * The app as its owner acts on it from the dashboard (session-authenticated). The owner holds the app's
 * secret anyway, so the data-plane use cases run with the secret's rights and the browser never needs it.
 */
export function ownerContext(app: AppRecord): AppContext {
  return { app, keyId: 'dashboard', keyKind: 'secret' };
}
