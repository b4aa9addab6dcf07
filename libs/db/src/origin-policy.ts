import type { AppRecord } from './repositories/apps.repository.js';

/**
 * DESIGN section 4: a request carrying an Origin must come from one the app lists; an empty list (or a
 * plan allowing any origin) lets every origin in, and the dashboard's own origin is always allowed.
 * Requests without Origin (servers, CLI tools) never reach this check. One rule for REST and every
 * gateway transport. Allowed origins are stored lowercased.
 */
export function originAllowed(app: Pick<AppRecord, 'allowedOrigins' | 'plan'>, origin: string, dashboardOrigin: string): boolean {
  if (app.plan.anyOrigin || app.allowedOrigins.length === 0) return true;
  const o = origin.toLowerCase();
  return o === dashboardOrigin || app.allowedOrigins.includes(o);
}
